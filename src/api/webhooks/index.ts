import { asAny, type ApiModule } from '../module.js';
import create from './webhooks.create.js';
import del from './webhooks.delete.js';
import get from './webhooks.get.js';
import getOne from './webhooks.get-one.js';
import test from './webhooks.send-test.js';
import update from './webhooks.update.js';

export const webhooksModule: ApiModule = {
  methods: [asAny(get), asAny(getOne), asAny(create), asAny(update), asAny(del), asAny(test)],
  routes: [
    { verb: 'GET', path: '/webhooks', method: 'webhooks.get', params: 'query' },
    { verb: 'GET', path: '/webhooks/:id', method: 'webhooks.getOne', params: 'path+query' },
    { verb: 'POST', path: '/webhooks', method: 'webhooks.create', params: 'body' },
    { verb: 'PUT', path: '/webhooks/:id', method: 'webhooks.update', params: 'update' },
    { verb: 'DELETE', path: '/webhooks/:id', method: 'webhooks.delete', params: 'path+query' },
    { verb: 'POST', path: '/webhooks/:id/test', method: 'webhooks.test', params: 'path+body' },
  ],
};
