/**
 * A user's second factor once confirmed (mfa.confirm), and what mfa.* needs to check it. Secrets
 * arrive here already protected: the TOTP secret sealed (AES-GCM), recovery codes as keyed hashes.
 */
export interface MfaRecord {
  method: 'totp' | 'sms';
  /** totp: `{secretSealed}`; sms: the activation parameters (phone number, message, …). */
  data: Record<string, string>;
  /** Keyed hashes of the unused recovery codes. */
  recoveryCodeHashes: string[];
  /** Float seconds since the epoch. */
  activatedAt: number;
}

export interface MfaStore {
  get(userId: string): Promise<MfaRecord | null>;
  /** Sets (or replaces) the user's second factor. */
  activate(userId: string, record: MfaRecord): Promise<void>;
  /**
   * Replaces `data` only while it still equals `expected` (compare-and-set; bin/keys reseal re-seals
   * the TOTP secret without undoing a concurrent deactivation or re-activation). False otherwise.
   */
  replaceData(userId: string, expected: Record<string, string>, data: Record<string, string>): Promise<boolean>;
  /** Removes it; false when MFA was not active. */
  deactivate(userId: string): Promise<boolean>;
  /**
   * Records that a TOTP code of time step `step` was accepted, atomically: false when a code of that
   * step or a later one was already accepted (a code works once, RFC 6238 §5.2).
   */
  useTotpStep(userId: string, step: number): Promise<boolean>;
}
