import { asAny, type ApiModule } from '../module.js';
import eventsCreate from './events.create.js';
import eventsDelete from './events.delete.js';
import eventsGet from './events.get.js';
import eventsGetOne from './events.getOne.js';
import eventsUpdate from './events.update.js';

export const eventsModule: ApiModule = {
  methods: [asAny(eventsGet), asAny(eventsGetOne), asAny(eventsCreate), asAny(eventsUpdate), asAny(eventsDelete)],
  routes: [
    { verb: 'GET', path: '/events', method: 'events.get', params: 'query' },
    { verb: 'GET', path: '/events/:id', method: 'events.getOne', params: 'path+query' },
    { verb: 'POST', path: '/events', method: 'events.create', params: 'body' },
    { verb: 'PUT', path: '/events/:id', method: 'events.update', params: 'update' },
    { verb: 'DELETE', path: '/events/:id', method: 'events.delete', params: 'path+query' },
  ],
};
