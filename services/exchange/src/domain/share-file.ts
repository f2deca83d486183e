import type { ExchangeEvent, ShareFileBuilt } from '@govmesh/contracts/avro';
import type { Decider } from '@govmesh/backbone';

/**
 * ShareFile: one file built for a share's requester (aggregate id = `file:<fileId>`, correlated
 * to the share so its lifecycle shows it). Its one event, ShareFileBuilt, is the ledger's record
 * of a file delivery (REC-01): what the signed manifest says, never the records. A file is built
 * once; recording it again changes nothing.
 */
export interface ShareFileState {
  built: ShareFileBuilt | null;
}

export type ShareFileCommand = { kind: 'RecordFileBuilt'; file: ShareFileBuilt };

export const shareFileDecider: Decider<ShareFileCommand, ExchangeEvent, ShareFileState> = {
  initialState: () => ({ built: null }),
  decide: (cmd, s) => (s.built !== null ? [] : [{ type: 'ShareFileBuilt', data: cmd.file }]),
  evolve: (s, e) => (e.type === 'ShareFileBuilt' ? { built: e.data } : s),
};
