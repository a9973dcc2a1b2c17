/**
 * The database could not be opened, reached or migrated at start. Its message
 * says which database and why, in one line for the operator: the server
 * prints it and exits, with no stack trace to read through.
 */
export class DatabaseStartError extends Error {
  override name = 'DatabaseStartError';
}
