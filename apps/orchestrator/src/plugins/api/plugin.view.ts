import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HYPERVISORS, NAME_QUALIFIERS, PLUGIN_ROLES, PLUGIN_SCOPES, REVERT_SUPPORT, STORAGE_PROTOCOLS } from '@strata/plugin-sdk';
import type { PluginDescription } from '../domain/plugin-description';

export class PluginCapabilitiesView {
  @ApiProperty() snapshot!: boolean;
  @ApiProperty({ enum: REVERT_SUPPORT, description: 'Which snapshot a volume can be reverted to' }) revert!: string;
  @ApiProperty() groupSnapshot!: boolean;
  @ApiProperty() clone!: boolean;
  @ApiProperty() resizeGrow!: boolean;
  @ApiProperty() resizeShrink!: boolean;
  @ApiProperty() qosIops!: boolean;
  @ApiProperty() qosBandwidth!: boolean;
  @ApiProperty({ description: 'Named QoS tiers enforced by the backend' }) qosTiers!: boolean;
  @ApiProperty({ description: 'Moves volumes between pools of one backend without copying through a host' }) nativeMigration!: boolean;
  @ApiProperty() thinProvisioning!: boolean;
  @ApiProperty({ description: 'Makes fully allocated volumes when asked; thick requests are placed only on such pools.' }) thickProvisioning!: boolean;
  @ApiProperty() overProvisioning!: boolean;
  @ApiProperty({ description: 'Volumes carry key/value tags on the backend' }) tags!: boolean;
}

export class PluginLimitsView {
  @ApiProperty({ description: 'Volume sizes are rounded up to a multiple of this' }) sizeGranularityBytes!: number;
  @ApiProperty() minSizeBytes!: number;
  @ApiProperty() maxSizeBytes!: number;
  @ApiProperty({ description: 'Longest backend object name' }) maxNameLength!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Snapshots per volume tree; null when unlimited' })
  snapshotsPerVolumeTree!: number | null;
}

export class PluginNamingView {
  @ApiProperty({ example: 'vol' }) volumePrefix!: string;
  @ApiProperty({ enum: NAME_QUALIFIERS, isArray: true, description: 'Ids after the volume id in a backend name' })
  qualifiers!: string[];
}

export class ConfigRuleView {
  @ApiProperty({ example: 'max', description: 'The class-validator rule; a 400 names the same rule' }) rule!: string;
  @ApiProperty({
    type: 'array',
    items: {},
    example: [65535],
    description: 'Its arguments: bounds, allowed values, a regular expression as /source/flags',
  })
  constraints!: unknown[];
  @ApiPropertyOptional({ enum: [true], description: 'The rule applies to each element' }) each?: true;
  @ApiProperty({ example: 'port must not be greater than 65535' }) message!: string;
}

export class ConfigParameterView {
  @ApiProperty({ example: 'port' }) name!: string;
  @ApiPropertyOptional({ enum: ['string', 'integer', 'number', 'boolean', 'array', 'object'] }) type?: string;
  @ApiProperty({ description: 'false when the parameter may be left out' }) required!: boolean;
  @ApiProperty({ description: 'A credential: accepted, never shown back' }) secret!: boolean;
  @ApiProperty({ type: [ConfigRuleView] }) rules!: ConfigRuleView[];
}

/** A registered backend: what it is, what it can do, and what a pool of it needs. */
export class PluginView {
  @ApiProperty({ example: 'storpool', description: 'The value of plugin in POST /pools' }) name!: string;
  @ApiProperty({ example: 'StorPool' }) vendor!: string;
  @ApiProperty({ example: '1.0.0' }) driverVersion!: string;
  @ApiProperty({ enum: PLUGIN_ROLES, isArray: true }) roles!: string[];
  @ApiProperty({ enum: STORAGE_PROTOCOLS, description: 'How a host reaches the data' }) protocol!: string;
  @ApiProperty({ enum: PLUGIN_SCOPES, isArray: true, description: 'Where a pool of this plugin may be attached' }) scopes!: string[];
  @ApiProperty({ enum: HYPERVISORS, isArray: true }) hypervisors!: string[];
  @ApiProperty({ type: PluginCapabilitiesView }) capabilities!: PluginCapabilitiesView;
  @ApiProperty({ type: PluginLimitsView }) limits!: PluginLimitsView;
  @ApiProperty({ type: PluginNamingView }) naming!: PluginNamingView;
  @ApiProperty({ description: 'Whether POST /pools takes url (instead of config) for this plugin' }) acceptsUrl!: boolean;
  @ApiPropertyOptional({ description: "The pool URL's form, when the plugin publishes one" }) urlForm?: string;
  @ApiProperty({ type: [ConfigParameterView], description: 'The settings config takes, from the plugin\'s schema' })
  configParameters!: ConfigParameterView[];
}

export class PluginList {
  @ApiProperty({ type: [PluginView] }) items!: PluginView[];
}

export function toPluginView(description: PluginDescription): PluginView {
  return {
    ...description,
    roles: [...description.roles],
    scopes: [...description.scopes],
    hypervisors: [...description.hypervisors],
    naming: { volumePrefix: description.naming.volumePrefix, qualifiers: [...description.naming.qualifiers] },
    configParameters: description.configParameters.map((p) => ({
      ...p,
      rules: p.rules.map((r) => ({ ...r, constraints: [...r.constraints] })),
    })),
  };
}
