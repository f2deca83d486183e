/**
 * Failpoints: named places where a test can make the process die with SIGKILL, to prove that a
 * crash at that exact point loses nothing and applies nothing twice. Armed only through the
 * FAILPOINTS config key (e.g. "store.before-commit:CatalogEntryPublished"); empty in production.
 * Format: comma-separated `name[:substring]`; the substring must occur in the detail to fire.
 */
export interface Failpoints {
  hit(name: string, detail?: string): void;
}

export const noFailpoints: Failpoints = { hit: () => undefined };

export const parseFailpoints = (spec: string): Failpoints => {
  const armed = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const [name, filter] = s.split(':', 2) as [string, string | undefined];
      return { name, filter };
    });
  if (armed.length === 0) return noFailpoints;
  return {
    hit: (name, detail = '') => {
      if (armed.some((a) => a.name === name && (a.filter === undefined || detail.includes(a.filter)))) {
        process.stderr.write(`failpoint ${name} fired (${detail}): SIGKILL\n`);
        process.kill(process.pid, 'SIGKILL');
      }
    },
  };
};
