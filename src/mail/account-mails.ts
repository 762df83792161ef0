import type { Services } from '../api/context.js';
import type { User } from '../domain/types.js';
import { userApiBase } from '../api/endpoints.js';

/** The welcome mail of a new account (queued; `mail.send.welcome`). */
export function sendWelcomeMail(services: Services, user: User): void {
  services.mailer.send({
    kind: 'welcome',
    to: user.email,
    language: user.language,
    vars: {
      username: user.username,
      email: user.email,
      serviceName: services.config.service.name,
      apiEndpoint: userApiBase(services.config, user.username),
    },
  });
}
