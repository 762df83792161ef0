import { defineMethod } from '../method.js';
import { asAny, type ApiModule } from '../module.js';
import eventsCreate from './events.create.js';
import { createEventsTogether } from './events-create-group.js';
import eventsDelete from './events.delete.js';
import eventsDeleteAttachment from './events.delete-attachment.js';
import eventsGet from './events.get.js';
import eventsGetOne from './events.get-one.js';
import eventsUpdate from './events.update.js';

// The events.create calls that follow each other in a batch are written together (issue #10). Joined
// here rather than in events.create.ts: the group path types its params from that method's schema.
const eventsCreateGrouped = defineMethod({ ...eventsCreate, group: createEventsTogether });

export const eventsModule: ApiModule = {
  methods: [asAny(eventsGet), asAny(eventsGetOne), asAny(eventsCreateGrouped), asAny(eventsUpdate), asAny(eventsDelete), asAny(eventsDeleteAttachment)],
  routes: [
    { verb: 'GET', path: '/events', method: 'events.get', params: 'query' },
    { verb: 'GET', path: '/events/:id', method: 'events.getOne', params: 'path+query' },
    { verb: 'POST', path: '/events', method: 'events.create', params: 'body', uploads: 'with-event' },
    { verb: 'POST', path: '/events/:id', method: 'events.update', params: 'update', uploads: 'files-only' },
    { verb: 'PUT', path: '/events/:id', method: 'events.update', params: 'update' },
    { verb: 'DELETE', path: '/events/:id', method: 'events.delete', params: 'path+query' },
    { verb: 'DELETE', path: '/events/:id/:fileId', method: 'events.deleteAttachment', params: 'path+query' },
  ],
  // Attachment downloads (events.getAttachment) are raw bytes, not a method result: src/http/attachment-routes.ts.
  // The docs' id for adding files; the reference routes it as events.update (Pryv API §9 #15).
  aliases: { 'events.addAttachment': 'events.update' },
};
