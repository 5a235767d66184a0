/** Schema names are spliced into SQL, so only plain lowercase identifiers are accepted. */
export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid schema name "${schema}": use lowercase letters, digits and _`);
  }
  return schema;
}
