import { test } from '@japa/runner'
import { generateReplyToken, inboundAddress, parseInboundAddress } from '#inbound/inbound_addresses'

test.group('Inbound addresses', () => {
  test('a reply token is 160 random bits in lowercase base32, a new one each time', ({
    assert,
  }) => {
    const tokens = new Set(Array.from({ length: 1_000 }, generateReplyToken))
    assert.equal(tokens.size, 1_000)
    for (const token of tokens) assert.match(token, /^[a-z2-7]{32}$/)
  })

  test('reply+ and bounce+ addresses at the domain read back, whatever the case', ({ assert }) => {
    const token = generateReplyToken()
    const reply = inboundAddress('reply', token, 'inbound.relance.test')
    assert.deepEqual(parseInboundAddress(reply, 'inbound.relance.test'), { kind: 'reply', token })
    assert.deepEqual(parseInboundAddress(reply.toUpperCase(), 'inbound.relance.test'), {
      kind: 'reply',
      token,
    })
    assert.deepEqual(
      parseInboundAddress(
        inboundAddress('bounce', token, 'inbound.relance.test'),
        'INBOUND.relance.test'
      ),
      { kind: 'bounce', token }
    )
  })

  test('any other address is none of ours: no relay, no guessing', ({ assert }) => {
    const token = generateReplyToken()
    for (const address of [
      `reply+${token}@elsewhere.test`,
      `reply+${token}@inbound.relance.test.evil.test`,
      `reply+${token.slice(1)}@inbound.relance.test`,
      `reply+${token}1@inbound.relance.test`,
      `other+${token}@inbound.relance.test`,
      `reply-${token}@inbound.relance.test`,
      `reply+${token}`,
      'postmaster@inbound.relance.test',
      '',
    ]) {
      assert.isNull(parseInboundAddress(address, 'inbound.relance.test'), address)
    }
  })
})
