import { test } from '@japa/runner'
import { isPublicAddress, webhookUrlRefusal } from '#services/webhooks/webhook_targets'

test.group('Webhook targets', () => {
  test('only addresses the public internet routes are public', ({ assert }) => {
    const notPublic = [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.10',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '255.255.255.255',
      '224.0.0.1',
      '192.0.2.10',
      '198.18.0.1',
      '::',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::a9fe:a9fe',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'ff02::1',
      '2001:db8::1',
      'not an address',
    ]
    for (const address of notPublic) assert.isFalse(isPublicAddress(address), address)
    for (const address of [
      '93.184.215.14',
      '8.8.4.4',
      '2606:4700:4700::1111',
      '2a00:1450:4007:80e::200e',
    ]) {
      assert.isTrue(isPublicAddress(address), address)
    }
  })

  test('production rules: https, no credentials, a host that resolves to public addresses only', async ({
    assert,
  }) => {
    const strict = (url: string) => webhookUrlRefusal(url, false)
    assert.equal(await strict('http://93.184.215.14/hook'), 'must be an https URL')
    assert.equal(
      await strict('https://a:b@93.184.215.14/hook'),
      'must not carry a user name or password'
    )
    assert.equal(await strict('no scheme'), 'must be an absolute URL')
    assert.match(
      (await strict('https://localhost:8443/hook'))!,
      /localhost resolves to (127\.0\.0\.1|::1)/
    )
    assert.match((await strict('https://[::1]/hook'))!, /::1, which is not a public address/)
    assert.match((await strict('https://0177.0.0.1/hook'))!, /127\.0\.0\.1/)
    assert.isNull(await strict('https://93.184.215.14/hook'))
    assert.isNull(await strict('https://[2606:4700:4700::1111]/hook'))
  })

  test('development rules take http and private addresses, still no other scheme', async ({
    assert,
  }) => {
    const relaxed = (url: string) => webhookUrlRefusal(url, true)
    assert.isNull(await relaxed('http://127.0.0.1:3000/hook'))
    assert.isNull(await relaxed('http://localhost/hook'))
    assert.equal(await relaxed('file:///etc/passwd'), 'must be an http or https URL')
    assert.equal(await relaxed('gopher://127.0.0.1/'), 'must be an http or https URL')
  })
})
