import { Decider, fold } from './decider';

/**
 * Given/when/then for deciders, without a database:
 *   spec(decider).given([...events]).when(command).then([...events])
 */
export function deciderSpec<S, C, E>(decider: Decider<S, C, E>) {
  return {
    given(events: readonly E[]) {
      return {
        when(command: C) {
          const run = () => decider.decide(command, fold(decider, events));
          return {
            then(expected: readonly E[]) {
              expect(run()).toEqual(expected);
            },
            thenThrows(code: string, match?: RegExp) {
              let caught: unknown;
              try {
                run();
              } catch (error) {
                caught = error;
              }
              expect(caught).toBeDefined();
              expect((caught as { code?: string }).code).toBe(code);
              if (match) expect((caught as Error).message).toMatch(match);
            },
          };
        },
      };
    },
  };
}
