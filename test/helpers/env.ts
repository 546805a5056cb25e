/** Sets `vars` in process.env and returns a function that puts back what was there before. */
export function overrideEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** Runs `work` with `vars` in process.env, restoring the previous values afterwards. */
export async function withEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const restore = overrideEnv(vars);
  try {
    return await work();
  } finally {
    restore();
  }
}
