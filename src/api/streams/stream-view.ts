import type { StreamNode } from '../../domain/streams-tree.js';
import type { Stream } from '../../domain/types.js';

export type StreamView = Omit<Stream, 'clientData'> & { clientData?: Record<string, unknown>; children?: StreamView[] };

/** API form of a stream: `clientData` only when set; `children` kept when the node has them. */
export function streamView(s: Stream | StreamNode): StreamView {
  const { clientData, ...rest } = s;
  const children = 'children' in s ? { children: s.children.map(streamView) } : {};
  return { ...rest, ...(clientData === null ? {} : { clientData }), ...children } as StreamView;
}

/** Without `children` (streams.update / trash results). */
export function flatStreamView(s: Stream): StreamView {
  const { children: _c, ...rest } = streamView(s);
  void _c;
  return rest;
}
