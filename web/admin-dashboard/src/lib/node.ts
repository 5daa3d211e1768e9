/** What the shell knows about the node, shared with the pages (kept apart from app.tsx, which imports the pages). */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { NodeInfo } from './api.ts';

export interface NodeSummary {
  /** null when the node has no `/admin-api/node-info` (404) — pages show what they can. */
  info: NodeInfo | null;
  infoError: unknown;
}

export const NodeContext = createContext<NodeSummary>({ info: null, infoError: null });
export const useNode = () => useContext(NodeContext);
