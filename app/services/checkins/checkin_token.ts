import { generateLinkToken, hashLinkToken, looksLikeLinkToken } from '#support/link_tokens'

/**
 * The token of a check-in's paid and pending links: a link token (32 random
 * bytes in base64url) of which only the SHA-256 is stored.
 */
export const generateCheckinToken = generateLinkToken
export const hashCheckinToken = hashLinkToken
export const looksLikeCheckinToken = looksLikeLinkToken
