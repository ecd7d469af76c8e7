/**
 * Reads `.env` from the working directory into process.env, when there is one. A variable
 * already in the environment keeps its value, even an empty one (so `DATABASE_URL= npm start`
 * still means embedded). Only the entry points call it: an app started in-process (tests,
 * benchmarks) sees the environment and the overrides it is given, never a file.
 */
export function loadDotEnv(path = '.env'): void {
  try {
    process.loadEnvFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
