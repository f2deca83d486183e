export interface Figure {
  name: string;
  value: number;
  unit: string;
  conditions: string;
}

export const printFigures = (section: string, figures: Figure[]): void => {
  console.log(`\n## ${section}`);
  const w = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) console.log(`  ${f.name.padEnd(w)}  ${String(f.value).padStart(9)} ${f.unit.padEnd(11)} ${f.conditions}`);
};
