import type { CheckinAnswerChoice } from '#services/checkins/checkin_answers'

/**
 * The page a GET on a check-in link shows when CHECKIN_CONFIRMATION=page:
 * link scanners that fetch it change nothing; the user's button POSTs the
 * answer to the same path. Relative form actions keep the token out of the
 * page body. Bilingual, since the token is not looked up to show it.
 */
export function checkinConfirmationPage(choice: CheckinAnswerChoice): string {
  const button = (answer: CheckinAnswerChoice, label: string) =>
    `<form method="post" action="${answer}"><button type="submit"${
      answer === choice ? ' autofocus' : ''
    }>${label}</button></form>`
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
