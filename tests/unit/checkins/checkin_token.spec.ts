import { test } from '@japa/runner'
import { createHash } from 'node:crypto'
import {
  generateCheckinToken,
  hashCheckinToken,
  looksLikeCheckinToken,
} from '#services/checkins/checkin_token'

test.group('Check-in tokens', () => {
  test('a token is 32 random bytes in base64url', ({ assert }) => {
    const { plain } = generateCheckinToken()
    assert.match(plain, /^[A-Za-z0-9_-]{43}$/)
    assert.lengthOf(Buffer.from(plain, 'base64url'), 32)
  })

  test('the stored hash is the SHA-256 hex of the plain token', ({ assert }) => {
    const { plain, hashed } = generateCheckinToken()
    assert.equal(hashed, createHash('sha256').update(plain).digest('hex'))
    assert.equal(hashCheckinToken(plain), hashed)
    assert.match(hashed, /^[0-9a-f]{64}$/)
  })

  test('two tokens never repeat', ({ assert }) => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateCheckinToken().plain))
    assert.equal(tokens.size, 1000)
  })

  test('only strings of the token shape look like tokens', ({ assert }) => {
    assert.isTrue(looksLikeCheckinToken(generateCheckinToken().plain))
    assert.isFalse(looksLikeCheckinToken('abc'))
    assert.isFalse(looksLikeCheckinToken('x'.repeat(10_000)))
    assert.isFalse(looksLikeCheckinToken(`${'a'.repeat(42)}=`))
    assert.isFalse(looksLikeCheckinToken(`${'a'.repeat(42)}/`))
  })
})
