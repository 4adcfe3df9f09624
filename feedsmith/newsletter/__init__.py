"""The newsletter: a period's new entries as an issue, frozen in the ledger and sent once.

    ledger.py     what went out, to whom: issues, the entries each carries, deliveries
    issue.py      an issue's layout and its HTML (MJML), text, web page and archive
    editorial.py  an issue's Markdown introduction, sanitised
    mail.py       composing the message and sending it by SMTP, one recipient at a time
    run.py        one issue's steps: select, freeze, write, send
    due.py        which periods are due now (cron and the service)
"""
