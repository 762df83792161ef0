import { asAny, type ApiModule } from '../module.js';
import checkApp from './accesses.check-app.js';
import create from './accesses.create.js';
import del from './accesses.delete.js';
import get from './accesses.get.js';
import getOne from './accesses.get-one.js';
import update from './accesses.update.js';

export const accessesModule: ApiModule = {
  methods: [asAny(get), asAny(getOne), asAny(create), asAny(update), asAny(del), asAny(checkApp)],
  routes: [
    { verb: 'GET', path: '/accesses', method: 'accesses.get', params: 'query' },
    // Before `/accesses/:id` so that no router ever reads "check-app" as an id.
    { verb: 'POST', path: '/accesses/check-app', method: 'accesses.checkApp', params: 'body' },
    { verb: 'GET', path: '/accesses/:id', method: 'accesses.getOne', params: 'path+query' },
    { verb: 'POST', path: '/accesses', method: 'accesses.create', params: 'body' },
    { verb: 'PUT', path: '/accesses/:id', method: 'accesses.update', params: 'update' },
    { verb: 'DELETE', path: '/accesses/:id', method: 'accesses.delete', params: 'path+query' },
  ],
};
