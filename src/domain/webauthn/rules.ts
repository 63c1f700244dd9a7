/** WebAuthn user handles are at most 64 bytes (W3C WebAuthn §5.4.3); 32 random bytes name a user without revealing user_id. */
export const USER_HANDLE_BYTES = 32;
