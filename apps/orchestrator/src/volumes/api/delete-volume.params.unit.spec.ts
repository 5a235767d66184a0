import { ApiExceptionFilter } from '../../http/api-exception.filter';
import { QueryPipe } from '../../http/query-pipe';
import { DeleteVolumeParams, deleteVolumeData } from './delete-volume.params';

const parse = (query: unknown) => new QueryPipe(DeleteVolumeParams).transform(query);

describe('DELETE /volumes/{id} query', () => {
  it('passes deleteSnapshots to DeleteVolume only when asked', () => {
    expect(deleteVolumeData(parse({}))).toEqual({});
    expect(deleteVolumeData(parse(undefined))).toEqual({});
    expect(deleteVolumeData(parse({ deleteSnapshots: 'true' }))).toEqual({ deleteSnapshots: true });
    expect(deleteVolumeData(parse({ deleteSnapshots: 'false' }))).toEqual({ deleteSnapshots: false });
  });

  it('refuses anything but true or false, and unknown parameters, naming them', () => {
    const answer = (query: unknown) => {
      try {
        parse(query);
      } catch (error) {
        return new ApiExceptionFilter().toBody(error);
      }
      throw new Error('expected a refusal');
    };
    expect(answer({ deleteSnapshots: 'yes' }).violations?.map((v) => [v.field, v.rule])).toEqual([['deleteSnapshots', 'isIn']]);
    expect(answer({ force: 'true' }).violations?.map((v) => [v.field, v.rule])).toEqual([['force', 'whitelistValidation']]);
  });
});
