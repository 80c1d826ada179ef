import vine from '@vinejs/vine'
import { email } from '#validators/rules'

/** POST /inbound/messages?recipient=: the address the provider received the message for. */
export const inboundMessageValidator = vine.create({
  recipient: email(),
})
