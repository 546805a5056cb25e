import { StartupError } from '../lib/startup-error';

/** The database could not be reached, created or prepared at startup. */
export class DatabaseStartupError extends StartupError {}
