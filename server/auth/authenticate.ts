// PLACEHOLDER written by the lead so the skeleton compiles; the auth helper replaces this file entirely.
import type { Services } from "../services.ts";

export interface AuthUser {
  id: string;
  email: string;
  fullName: string | null;
  isActive: boolean;
  isSuperuser: boolean;
  createdAt: Date;
}

export interface AuthSession {
  id: string;
}

export interface AuthResult {
  user: AuthUser | null;
  session: AuthSession | null;
  failure: string | null;
  refreshToken: string | null;
}

export async function authenticateRequest(_services: Services, _headers: Headers): Promise<AuthResult> {
  return { user: null, session: null, failure: null, refreshToken: null };
}
