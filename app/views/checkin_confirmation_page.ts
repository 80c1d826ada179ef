import string from '@adonisjs/core/helpers/string'
import { urlFor } from '@adonisjs/core/services/url_builder'
import env from '#start/env'
import type { CheckinAnswerChoice } from '#services/checkins/checkin_answers'

/**
 * The page carries no script, loads nothing, and may only post to the API
 * itself; no site can frame it to trick a click. Browsers apply form-action
 * to the redirects that follow the POST too (Chromium blocks the 303 to the
 * SPA under 'self' alone), so the SPA's origin, where it lands, is allowed.
 */
export const CONFIRMATION_PAGE_CSP = `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${
  new URL(env.get('WEB_URL')).origin
}; frame-ancestors 'none'`

const ROUTES: Record<CheckinAnswerChoice, 'checkin.confirm_paid' | 'checkin.confirm_pending'> = {
  paid: 'checkin.confirm_paid',
  pending: 'checkin.confirm_pending',
}

/**
 * The page a GET on a check-in link shows when CHECKIN_CONFIRMATION=page:
 * link scanners that fetch it change nothing; the user's button POSTs the
 * answer to the absolute URL of the link (APP_URL), so the token is in the
 * page body — served no-store and no-referrer, never logged. Bilingual,
 * since the token is not looked up to show it.
 */
export function checkinConfirmationPage(choice: CheckinAnswerChoice, token: string): string {
  const button = (answer: CheckinAnswerChoice, label: string) => {
    const action = urlFor(ROUTES[answer], { token }, { prefixUrl: env.get('APP_URL') })
    return `<form method="post" action="${string.escapeHTML(action)}"><button type="submit"${
      answer === choice ? ' autofocus' : ''
    }>${label}</button></form>`
  }
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Relance</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}form{display:inline-block;margin:.5rem .5rem 0 0}button{font-size:1.1rem;padding:.6rem 1.2rem}</style>
</head>
<body>
<h1>As-tu été payé ? <small>Have you been paid?</small></h1>
${button('paid', 'Oui, j’ai été payé · Yes, I have been paid')}
${button('pending', 'Pas encore · Not yet')}
</body>
</html>
`
}
