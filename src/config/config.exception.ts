import { StartupError } from '../lib/startup-error';

/** An environment variable is missing, malformed or contradicts another one. */
export class ConfigError extends StartupError {}
