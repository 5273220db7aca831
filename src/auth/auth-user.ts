/** The caller, as proven by a verified token. */
export interface AuthUser {
  id: string;
  name: string | null;
  roles: readonly string[];
  /** When the token stops being valid; streams end then. */
  expiresAt: Date;
}

export type Role = 'admin' | 'service';
