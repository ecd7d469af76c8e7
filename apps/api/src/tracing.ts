/**
 * Imported first by main.ts: when an OTLP endpoint is configured, the tracing SDK and its
 * instrumentations must be in place before `http`, `pg` and `pino` are first loaded.
 * Nothing else may be imported above this file's imports.
 */
// The file itself, not @tally/shared's index, which loads far more than the .env reader.
import { loadDotEnv } from '../../../libs/shared/src/config/dot-env';
import { startTracing } from './operations/tracing/tracing';

// The OTEL_* variables may come from .env too (main.ts reads it again: a no-op then).
loadDotEnv();
startTracing();
