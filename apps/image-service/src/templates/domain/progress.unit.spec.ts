import { progressDue } from './progress';

describe('progressDue', () => {
  it('tells every tenth, not less', () => {
    expect(progressDue(null, 9, 0)).toBe(false);
    expect(progressDue(null, 10, 0)).toBe(true);
    expect(progressDue({ percent: 10, at: 0 }, 19, 5_000)).toBe(false);
    expect(progressDue({ percent: 10, at: 0 }, 20, 5_000)).toBe(true);
  });
  it('never tells twice within a second, even after a big jump or at the end', () => {
    expect(progressDue({ percent: 10, at: 1_000 }, 90, 1_999)).toBe(false);
    expect(progressDue({ percent: 10, at: 1_000 }, 100, 1_500, true)).toBe(false);
    expect(progressDue({ percent: 10, at: 1_000 }, 100, 2_000, true)).toBe(true);
  });
  it('tells the end once', () => {
    expect(progressDue({ percent: 100, at: 0 }, 100, 5_000, true)).toBe(false);
    expect(progressDue(null, 100, 0, true)).toBe(true);
  });
  it('without a total, tells at most every ten seconds', () => {
    expect(progressDue({ percent: null, at: 0 }, null, 9_999)).toBe(false);
    expect(progressDue({ percent: null, at: 0 }, null, 10_000)).toBe(true);
  });
});
