import { randomUUID } from 'node:crypto';
import { templateFromVolumeData } from './template-from-volume-request';

describe('the CreateTemplateFromVolume data of POST /volumes/{id}/templates and /snapshots/{id}/templates', () => {
  const volumeId = randomUUID();
  const snapshotId = randomUUID();

  it('is the body with the volume (and the snapshot) of the path', () => {
    expect(templateFromVolumeData({ name: 'golden', zoneId: 'z1', osType: 'debian' }, { volumeId })).toEqual({
      data: { name: 'golden', zoneId: 'z1', osType: 'debian', volumeId },
      violations: [],
    });
    expect(templateFromVolumeData({ name: 'golden', zoneId: 'z1' }, { volumeId, snapshotId }).data).toEqual({ name: 'golden', zoneId: 'z1', volumeId, snapshotId });
  });

  it('refuses a volumeId or snapshotId in the body (the path names them) and leaves a non-object body to the command rules', () => {
    expect(templateFromVolumeData({ name: 'g', zoneId: 'z1', volumeId: randomUUID(), snapshotId: randomUUID() }, { volumeId }).violations.map((v) => v.field)).toEqual(['volumeId', 'snapshotId']);
    expect(templateFromVolumeData('nope', { volumeId })).toEqual({ data: 'nope', violations: [] });
  });
});
