import { describe, expect, it } from '@jest/globals';
import type { WorkflowEvent } from '../events/domain-event-map.js';
import { draftsFor, notificationRules } from './notification-rules.js';

const alice = { id: 'alice', name: 'Alice' };
const workflow = (overrides: Partial<WorkflowEvent> = {}): WorkflowEvent => ({
  actor: alice,
  workflowId: 'w1',
  name: 'Budget',
  starterId: 'alice',
  approvers: ['bob', 'carol'],
  comment: null,
  ...overrides,
});

describe('draftsFor', () => {
  it('makes one draft per distinct recipient, leaving out the actor', () => {
    const drafts = draftsFor(alice, ['bob', 'alice', 'bob', 'carol'], {
      type: 't',
      title: 'x',
      body: '',
      data: {},
    });
    expect(drafts.map((draft) => draft.recipient)).toEqual(['bob', 'carol']);
    expect(drafts.every((draft) => draft.actorId === 'alice')).toBe(true);
  });

  it('makes a single broadcast draft when there is no recipient list', () => {
    const drafts = draftsFor(alice, null, { type: 't', title: 'x', body: '', data: {} });
    expect(drafts).toEqual([
      { type: 't', title: 'x', body: '', data: {}, recipient: '*', actorId: 'alice' },
    ]);
  });
});

describe('notificationRules', () => {
  it('tells the addressees of a message', () => {
    const drafts = notificationRules['message.created']({
      actor: alice,
      messageId: 'm1',
      text: 'Hello',
      to: ['bob'],
    });
    expect(drafts).toEqual([
      {
        type: 'message.created',
        recipient: 'bob',
        actorId: 'alice',
        title: 'New message from Alice',
        body: 'Hello',
        data: { messageId: 'm1' },
      },
    ]);
  });

  it('broadcasts a message without addressees', () => {
    const drafts = notificationRules['message.created']({
      actor: alice,
      messageId: 'm',
      text: 'x',
      to: null,
    });
    expect(drafts.map((draft) => draft.recipient)).toEqual(['*']);
  });

  it('asks the approvers of a started workflow', () => {
    const drafts = notificationRules['workflow.started'](workflow());
    expect(drafts.map((draft) => [draft.type, draft.recipient])).toEqual([
      ['workflow.started', 'bob'],
      ['workflow.started', 'carol'],
    ]);
    expect(drafts[0].data).toEqual({ workflowId: 'w1', name: 'Budget', starterId: 'alice' });
  });

  it('tells the starter of a decision, with the comment as body', () => {
    const bob = { id: 'bob', name: null };
    const approved = notificationRules['workflow.approved'](
      workflow({ actor: bob, comment: 'fine' }),
    );
    const rejected = notificationRules['workflow.rejected'](workflow({ actor: bob }));
    expect(approved).toEqual([
      expect.objectContaining({ recipient: 'alice', body: 'fine', title: 'bob approved Budget' }),
    ]);
    expect(rejected).toEqual([
      expect.objectContaining({ recipient: 'alice', type: 'workflow.rejected' }),
    ]);
  });

  it('tells the approvers of a cancellation, or everyone when there were none', () => {
    expect(notificationRules['workflow.cancelled'](workflow()).map((d) => d.recipient)).toEqual([
      'bob',
      'carol',
    ]);
    expect(
      notificationRules['workflow.cancelled'](workflow({ approvers: null })).map(
        (d) => d.recipient,
      ),
    ).toEqual(['*']);
  });

  it('broadcasts an announcement as type "announcement"', () => {
    const drafts = notificationRules['announcement.published']({
      actor: alice,
      announcementId: 'a1',
      title: 'Down',
      body: 'Tonight',
    });
    expect(drafts).toEqual([
      {
        type: 'announcement',
        recipient: '*',
        actorId: 'alice',
        title: 'Down',
        body: 'Tonight',
        data: { announcementId: 'a1' },
      },
    ]);
  });
});
