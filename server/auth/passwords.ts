/**
 * Password hashing with argon2id (Bun.password). The hasher is a value passed through the tRPC context rather than
 * a module global so tests can inject a cheaper cost or count verifications (the lockout test proves that 50 parallel
 * attempts reach at most 5 checks of the real hash).
 *
 * Production always uses `defaultPasswordHasher` (Bun's argon2id defaults: 64 MiB, 2 passes, ~120 ms here).
 * `createPasswordHasher({ memoryCost, timeCost })` with lower values is for tests only; a hash records its own
 * parameters, so hashes made at either cost verify with either hasher.
 */

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /**
   * Spends the time of one verification without checking any account, so an unknown email or a locked account
   * answers as slowly as a wrong password.
   */
  verifyDummy(password: string): Promise<void>;
}

export interface PasswordCost {
  /** KiB of memory per hash (Bun's default 65536). */
  memoryCost?: number;
  /** Passes (Bun's default 2). */
  timeCost?: number;
}

/** A hasher at the given argon2id cost (defaults: Bun's own). */
export function createPasswordHasher(cost: PasswordCost = {}): PasswordHasher {
  const options: Bun.Password.Argon2Algorithm = { algorithm: "argon2id", ...cost };
  let dummyHash: Promise<string> | null = null;
  const hash = (password: string) => Bun.password.hash(password, options);
  return {
    hash,
    verify: (password, stored) => verifyStored(password, stored),
    verifyDummy: async (password) => {
      // Made once per hasher with the same cost as real hashes, so checking against it takes as long.
      dummyHash ??= hash(`dummy-${crypto.randomUUID()}`);
      await verifyStored(password, await dummyHash);
    },
  };
}

async function verifyStored(password: string, stored: string): Promise<boolean> {
  try {
    return await Bun.password.verify(password, stored);
  } catch (error) {
    // Only a corrupt stored hash gets here (Bun rejects hashes it cannot parse): deny, and say so loudly upstream.
    throw new Error("stored password hash could not be read", { cause: error });
  }
}

/** The production hasher. */
export const defaultPasswordHasher: PasswordHasher = createPasswordHasher();
