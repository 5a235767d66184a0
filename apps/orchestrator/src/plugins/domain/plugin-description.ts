// The declared field types (design:type) are read with reflect-metadata's API.
import 'reflect-metadata';
import type { BackendPlugin, PluginManifest } from '@strata/plugin-sdk';
import { getMetadataStorage, type ValidationArguments } from 'class-validator';

/** One rule a configuration parameter must pass, as class-validator declares it. */
export interface ConfigRuleDescription {
  /** The rule's name (isInt, max, matches, isAbsolutePath, ...), the one a 400 names. */
  readonly rule: string;
  /** Its arguments as JSON: a bound, the allowed values, a regular expression as /source/flags. */
  readonly constraints: readonly unknown[];
  /** Present when the rule applies to each element of an array or map. */
  readonly each?: true;
  /** What a violation says, with the parameter's name in it. */
  readonly message: string;
}

export type ConfigParameterType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';

export interface ConfigParameterDescription {
  readonly name: string;
  /** From the rules (isInt: integer), else from the field's declared type; absent when neither says. */
  readonly type?: ConfigParameterType;
  readonly required: boolean;
  /** A credential: accepted, never shown back (redacted in pools, events and logs). */
  readonly secret: boolean;
  readonly rules: readonly ConfigRuleDescription[];
}

/** What an admin (or a UI) needs to know to add a pool of this plugin. */
export interface PluginDescription
  extends Pick<
    PluginManifest,
    'name' | 'vendor' | 'driverVersion' | 'roles' | 'protocol' | 'scopes' | 'hypervisors' | 'capabilities' | 'limits' | 'naming'
  > {
  /** Whether POST /pools takes `url` for this plugin (it has a URL parser). */
  readonly acceptsUrl: boolean;
  /** The pool URL's form, when the plugin publishes one. */
  readonly urlForm?: string;
  readonly configParameters: readonly ConfigParameterDescription[];
}

/** Rules that say "may be absent" rather than "must be": they make a parameter optional. */
const CONDITIONAL = 'conditionalValidation';
/** Metadata that only marks a field as known (@Allow) and constrains nothing. */
const WHITELIST = 'whitelistValidation';

const TYPE_BY_RULE: Readonly<Record<string, ConfigParameterType>> = {
  isString: 'string',
  isInt: 'integer',
  isNumber: 'number',
  isBoolean: 'boolean',
  isArray: 'array',
  isObject: 'object',
  isUrl: 'string',
};

/**
 * Declared types TypeScript emits faithfully. Object is left out: it is also what a union
 * or an alias compiles to (cloneMode?: 'snapshot' | 'copy'), so it would mislead.
 */
const TYPE_BY_DESIGN: Readonly<Record<string, ConfigParameterType>> = { String: 'string', Number: 'number', Boolean: 'boolean', Array: 'array' };

/** The description of a registered plugin: its manifest, minus the config class, plus the parameters read from it. */
export function describePlugin(plugin: BackendPlugin): PluginDescription {
  const { manifest } = plugin;
  const urlForm = (plugin as { readonly urlForm?: unknown }).urlForm;
  return {
    name: manifest.name,
    vendor: manifest.vendor,
    driverVersion: manifest.driverVersion,
    roles: [...manifest.roles],
    protocol: manifest.protocol,
    scopes: [...manifest.scopes],
    hypervisors: [...manifest.hypervisors],
    capabilities: { ...manifest.capabilities },
    limits: { ...manifest.limits },
    naming: { volumePrefix: manifest.naming.volumePrefix, qualifiers: [...manifest.naming.qualifiers] },
    acceptsUrl: typeof plugin.parseUrl === 'function',
    ...(typeof urlForm === 'string' ? { urlForm } : {}),
    configParameters: describeConfig(manifest.configSchema, manifest.secretConfigKeys),
  };
}

type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/**
 * The parameters of a config class, from class-validator's metadata (the SDK's own
 * checkManifest reads it the same way), inherited fields included, in declaration order.
 */
export function describeConfig(schema: new () => object, secretKeys: readonly string[]): ConfigParameterDescription[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(schema, '', true, false);
  const byField = new Map<string, ValidationMetadata[]>();
  for (const m of metadata) byField.set(m.propertyName, [...(byField.get(m.propertyName) ?? []), m]);
  return [...byField].map(([name, fieldMetadata]) => {
    // Decorators run bottom-up, so the metadata lists a field's rules last-declared first.
    const rules = fieldMetadata
      .filter((m) => m.type !== CONDITIONAL && m.type !== WHITELIST)
      .reverse()
      .map((m) => describeRule(schema, name, m));
    const type = typeOfRules(rules) ?? designType(schema, name);
    return {
      name,
      ...(type === undefined ? {} : { type }),
      required: !fieldMetadata.some((m) => m.type === CONDITIONAL),
      secret: secretKeys.includes(name),
      rules,
    };
  });
}

function describeRule(schema: new () => object, property: string, m: ValidationMetadata): ConfigRuleDescription {
  const constraints = (m.constraints ?? []).map(toJson);
  // Trailing absent arguments (Matches' modifiers) say nothing; others keep their place.
  while (constraints.length > 0 && constraints[constraints.length - 1] === undefined) constraints.pop();
  for (let i = 0; i < constraints.length; i++) if (constraints[i] === undefined) constraints[i] = null;
  return {
    rule: m.name ?? m.type,
    constraints,
    ...(m.each ? { each: true as const } : {}),
    message: ruleMessage(schema, property, m),
  };
}

/**
 * What class-validator would say when the rule fails, with its tokens filled in from the
 * declaration alone: there is no value here, so $value stays unreplaced rather than guessed.
 */
function ruleMessage(schema: new () => object, property: string, m: ValidationMetadata): string {
  const args: ValidationArguments = { value: undefined, constraints: m.constraints ?? [], targetName: schema.name, object: {}, property };
  let template = '';
  try {
    if (typeof m.message === 'string') template = m.message;
    else if (typeof m.message === 'function') template = m.message(args);
    else if (m.constraintCls) {
      const constraint = new (m.constraintCls as new () => { defaultMessage?: (a: ValidationArguments) => string })();
      template = constraint.defaultMessage?.(args) ?? '';
    }
  } catch {
    template = '';
  }
  if (template === '') template = `$property must pass ${m.name ?? m.type}`;
  return template
    .replace(/\$property/g, property)
    .replace(/\$target/g, schema.name)
    .replace(/\$constraint(\d+)/g, (token, index: string) => {
      const constraint = (m.constraints ?? [])[Number(index) - 1];
      return constraint === undefined ? token : constraint instanceof RegExp ? String(constraint) : String(toJson(constraint));
    });
}

/** The type a rule implies (isInt: integer; isIn of strings: string); rules on each element say nothing of the whole. */
function typeOfRules(rules: readonly ConfigRuleDescription[]): ConfigParameterType | undefined {
  for (const rule of rules.filter((r) => !r.each)) {
    const byName = TYPE_BY_RULE[rule.rule];
    if (byName !== undefined) return byName;
    const [values] = rule.constraints;
    if (rule.rule === 'isIn' && Array.isArray(values) && values.length > 0) {
      if (values.every((v) => typeof v === 'string')) return 'string';
      if (values.every((v) => typeof v === 'number')) return 'number';
    }
  }
  return undefined;
}

function designType(schema: new () => object, property: string): ConfigParameterType | undefined {
  const declared: unknown = Reflect.getMetadata('design:type', schema.prototype, property);
  return typeof declared === 'function' && Object.hasOwn(TYPE_BY_DESIGN, declared.name) ? TYPE_BY_DESIGN[declared.name] : undefined;
}

/** A constraint as JSON: regular expressions as /source/flags, functions left out. */
function toJson(value: unknown): unknown {
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .map(([key, inner]) => [key, toJson(inner)] as const)
        .filter(([, inner]) => inner !== undefined),
    );
  }
  return value;
}
