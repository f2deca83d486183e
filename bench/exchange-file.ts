import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ControlledClock } from '@govmesh/backbone';
import { REQUESTER, approvedShare, loadRecords, publishEntry, residents, startTestMesh } from '../services/exchange/src/testing.ts';
import type { Figure } from './figures.ts';

/**
 * File download on the real stack: the time to build one share's CSV file of `records` records
 * (read page by page from PostgreSQL, every record masked and fingerprinted, written and hashed,
 * the manifest signed and ShareFileBuilt committed), beside the raw baseline of the same run:
 * the same pages read and written to a file unmasked, with fs, nothing else.
 */
export const benchFileBuild = async (records: number): Promise<Figure[]> => {
  const dir = mkdtempSync(join(tmpdir(), 'govmesh-bench-files-'));
  const m = await startTestMesh(new ControlledClock('2026-09-21T09:00:00+08:00'), { FILES_DIR: dir });
  try {
    const entryId = await publishEntry(m);
    await loadRecords(m, entryId, residents(records));
    const shareId = await approvedShare(m, entryId, { items: ['citizen_id', 'name', 'income'], shareMethod: 'FILE' });

    const t0 = performance.now();
    const built = await m.as(REQUESTER).post(`/v1/shares/${shareId}/files`, { format: 'CSV' });
    const buildMs = performance.now() - t0;
    if (built.status !== 201) throw new Error(`build failed: ${built.status} ${JSON.stringify(built.body)}`);
    const manifest = built.body!['manifest'] as { recordCount: number; bytes: number };

    // Raw baseline: the same pages, written unmasked.
    const t1 = performance.now();
    const raw = join(dir, 'raw.ndjson');
    const fh = await open(raw, 'w');
    let after = 0n;
    for (;;) {
      const page = await m.exchange.datasets.page(entryId, after, 5000, null);
      if (page.rows.length === 0) break;
      after = BigInt(page.rows.at(-1)!.seq);
      let chunk = '';
      for (const r of page.rows) chunk += `${JSON.stringify(r.data)}\n`;
      await fh.write(chunk);
    }
    await fh.close();
    const rawMs = performance.now() - t1;
    const conditions = `${manifest.recordCount} records, 3 approved items of 4 (1 pseudonymised, 1 withheld, 1 in clear), CSV ${(manifest.bytes / 2 ** 20).toFixed(0)} MiB`;
    return [
      { name: `file build, ${records} records`, value: Number((buildMs / 1000).toFixed(1)), unit: 's', conditions: `${conditions}; ${Math.round(manifest.recordCount / (buildMs / 1000))} records/s` },
      { name: 'read + write unmasked (raw baseline)', value: Number((rawMs / 1000).toFixed(1)), unit: 's', conditions: `the same pages, ${(statSync(raw).size / 2 ** 20).toFixed(0)} MiB NDJSON; build/raw ${(buildMs / rawMs).toFixed(1)}` },
    ];
  } finally {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};
