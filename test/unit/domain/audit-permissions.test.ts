import { describe, expect, it } from 'vitest';
import { AccessLogic } from '../../../src/domain/access-logic.js';
import { appCreationRefusal, orphanedChildren } from '../../../src/domain/access-rules.js';
import { auditedAccessOf, auditGrantsBeyond, malformedAuditPermission, readableAuditAccesses } from '../../../src/domain/audit-permissions.js';
import { StreamsTree } from '../../../src/domain/streams-tree.js';
import type { Permission } from '../../../src/domain/types.js';
import { access, STREAMS } from './fixtures.js';

const tree = new StreamsTree(STREAMS);
const read = (id: string): Permission => ({ streamId: `:_audit:access-${id}`, level: 'read' });
const muted: Permission = { feature: 'selfAudit', setting: 'forbidden' };

describe('audit permissions (docs/api.md#audit-trail)', () => {
  it('names the audited access of :_audit:access-<id> (base id), nothing else', () => {
    expect(auditedAccessOf(':_audit:access-abc')).toBe('abc');
    expect(auditedAccessOf(':_audit:access-abc:3')).toBe('abc');
    expect(auditedAccessOf(':_audit:access-')).toBeNull();
    expect(auditedAccessOf(':_audit:action-events.get')).toBeNull();
    expect(auditedAccessOf('diary')).toBeNull();
  });

  it('readable: all for personal; own unless selfAudit forbidden, plus read grants; never through *', () => {
    expect(readableAuditAccesses(access('personal'))).toBe('all');
    expect(readableAuditAccesses(access('app', [['*', 'manage']]))).toEqual(new Set(['acc-app']));
    expect(readableAuditAccesses(access('shared', [read('x'), read('y:2')]))).toEqual(new Set(['acc-shared', 'x', 'y']));
    expect(readableAuditAccesses(access('app', [read('x'), muted]))).toEqual(new Set(['x']));
    expect(readableAuditAccesses(access('app', [muted]))).toEqual(new Set());
    expect(readableAuditAccesses(access('app', [muted, { streamId: ':_audit:access-x', level: 'manage' }, { streamId: ':_audit:access-y', level: 'none' }]))).toEqual(new Set(['x']));
  });

  it('malformed: any other :_audit: stream or level', () => {
    expect(malformedAuditPermission([read('x'), { streamId: 'diary', level: 'manage' }])).toBeNull();
    expect(malformedAuditPermission([{ streamId: ':_audit:', level: 'read' }])).toEqual({ streamId: ':_audit:', level: 'read' });
    expect(malformedAuditPermission([{ streamId: ':_audit:access-x', level: 'contribute' }])).not.toBeNull();
    expect(malformedAuditPermission([{ streamId: ':_audit:action-events.get', level: 'read' }])).not.toBeNull();
  });

  it('an app grants only what it reads: its own stream, its grants; not with * nor when muted', () => {
    expect(auditGrantsBeyond(access('app'), [read('acc-app'), read('other')])).toEqual([':_audit:access-other']);
    expect(auditGrantsBeyond(access('app', [read('other')]), [read('other')])).toEqual([]);
    expect(auditGrantsBeyond(access('app', [muted]), [read('acc-app')])).toEqual([':_audit:access-acc-app']);
    expect(auditGrantsBeyond(access('personal'), [read('anyone')])).toEqual([]);
    const star = new AccessLogic(access('app', [['*', 'manage']]), tree);
    expect(appCreationRefusal(star, { type: 'shared', permissions: [read('other')] })).not.toBeNull();
    expect(appCreationRefusal(star, { type: 'shared', permissions: [read('acc-app'), { streamId: 'work', level: 'manage' }] })).toBeNull();
  });

  it('an audit grant the app holds is no mask: it does not block granting its streams', () => {
    const app = new AccessLogic(access('app', [['health', 'contribute'], read('other')]), tree);
    expect(appCreationRefusal(app, { type: 'shared', permissions: [{ streamId: 'health', level: 'contribute' }] })).toBeNull();
  });

  it('children holding an audit grant the narrowed app no longer has are orphans', () => {
    const narrowed = new AccessLogic(access('app', [['health', 'read']]), tree);
    const children = [{ id: 'c1', permissions: [read('other')], expires: null }, { id: 'c2', permissions: [read('acc-app')], expires: null }];
    expect(orphanedChildren(narrowed, null, children)).toEqual(['c1']);
  });
});
