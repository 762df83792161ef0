/** What a password-reset mail needs. `resetToken` is a secret: it goes to the user's mailbox only. */
export interface PasswordResetMessage {
  username: string;
  email: string;
  language: string;
  /** The app that asked (its UI hosts the reset form). */
  appId: string;
  resetToken: string;
  /** Float seconds since the epoch. */
  expires: number;
}

/** Delivers reset tokens. Implementations must never log `resetToken`. */
export interface PasswordResetMailer {
  send(message: PasswordResetMessage): Promise<void>;
}

/** No mail transport is configured yet: nothing is sent, and nothing is logged about the token. */
export const noPasswordResetMailer: PasswordResetMailer = { send: async () => undefined };
