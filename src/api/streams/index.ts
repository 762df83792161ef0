import { asAny, type ApiModule } from '../module.js';
import streamsCreate from './streams.create.js';
import streamsDelete from './streams.delete.js';
import streamsGet from './streams.get.js';
import streamsUpdate from './streams.update.js';

export const streamsModule: ApiModule = {
  methods: [asAny(streamsGet), asAny(streamsCreate), asAny(streamsUpdate), asAny(streamsDelete)],
  routes: [
    { verb: 'GET', path: '/streams', method: 'streams.get', params: 'query' },
    { verb: 'POST', path: '/streams', method: 'streams.create', params: 'body' },
    { verb: 'PUT', path: '/streams/:id', method: 'streams.update', params: 'update' },
    { verb: 'DELETE', path: '/streams/:id', method: 'streams.delete', params: 'path+query' },
  ],
};
