"""Word lists for the email coach (``comms.coach``), in English, Russian and Greek.

Entry syntax, shared by every list:
    * entries are matched case-insensitively on whole words; Greek accents are ignored and Russian
      ``ё`` equals ``е`` (the coach normalises the text the same way);
    * a trailing ``*`` makes the entry a stem: ``deplo*`` matches deploy, deployed, deploying;
    * words separated by a space match any run of whitespace: ``you never`` matches "you  never".

The lists are deliberately modest: the coach nudges, it does not censor.
"""

from __future__ import annotations

GREETINGS: tuple[str, ...] = (
    # English
    "hi",
    "hello",
    "hey",
    "dear",
    "good morning",
    "good afternoon",
    "good evening",
    "greetings",
    # Russian
    "здравствуй*",
    "добрый день",
    "доброе утро",
    "добрый вечер",
    "доброго дня",
    "привет*",
    "уважаем*",
    # Greek
    "γεια σας",
    "γεια σου",
    "γεια",
    "καλημερα",
    "καλησπερα",
    "αγαπητ*",
)

THANKS: tuple[str, ...] = (
    # English
    "thank*",
    "thx",
    "appreciat*",
    "grateful",
    "cheers",
    # Russian
    "спасибо",
    "благодар*",
    "поблагодар*",
    "признател*",
    # Greek
    "ευχαριστ*",
)

NEXT_STEPS_HEADINGS: tuple[str, ...] = ("next steps", "следующие шаги", "επόμενα βήματα")
"""Headings that open the bold Next steps block (R3), matched at the start of a line."""

TOPIC_SHIFTS: tuple[str, ...] = (
    # English
    "also",
    "another thing",
    "one more thing",
    "on another note",
    "on a different note",
    "separately",
    "by the way",
    "btw",
    "p.s.",
    "ps",
    # Russian
    "кроме того",
    "ещё",
    "и ещё",
    "также",
    "отдельно",
    "другой вопрос",
    "другая тема",
    "кстати",
    "п.с.",
    # Greek
    "επίσης",
    "ακόμα",
    "ακόμη",
    "άλλο θέμα",
    "παρεμπιπτόντως",
)
"""Words that open a new topic when they start a paragraph, a list item or a sentence."""

BLAME: tuple[str, ...] = (
    # English
    "you never",
    "you always",
    "your fault",
    "you failed",
    "you people",
    "as i already said",
    "as i said before",
    "as i already told you",
    "i already told you",
    "how many times",
    "for the last time",
    "unacceptable",
    "ridiculous",
    # Russian
    "виноваты",
    "ваша вина",
    "опять",
    "сколько можно",
    "сколько раз",
    "в который раз",
    "как я уже говорил*",
    "как я уже писал*",
    "я же говорил*",
    "вы никогда",
    "вы всегда",
    "безобрази*",
    "возмутительн*",
    "недопустим*",
    # Greek
    "φταις",
    "φταίτε",
    "εσύ φταις",
    "εσείς φταίτε",
    "πάντα εσύ",
    "όπως είπα ήδη",
    "σου το είπα",
    "σας το είπα",
    "για πολλοστή φορά",
    "απαράδεκτ*",
)
"""Blame and exasperation phrases: a sign of heat (R6)."""

NOT_BLAME: tuple[str, ...] = (
    "you never have to",
    "you never need to",
    "you always can",
    "you always have the option",
    "опять же",
)
"""Kind phrases that start like blame ("so you never have to worry"): a blame match inside one is ignored."""

PROFANITY: tuple[str, ...] = (
    # English
    "fuck*",
    "motherfuck*",
    "shit*",
    "bullshit*",
    "crap*",
    "damn*",
    "goddamn*",
    "wtf",
    "bastard*",
    "asshole*",
    "idiot*",
    "moron*",
    "stupid*",
    # Russian
    "бля*",
    "хуй*",
    "хуе*",
    "хуя*",
    "нахуй",
    "нахуя",
    "охуе*",
    "похуй*",
    "пизд*",
    "распизд*",
    "еба*",
    "ебу*",
    "ебл*",
    "заеба*",
    "заеб*",
    "уеб*",
    "отъеб*",
    "выеб*",
    "проеб*",
    "долбоеб*",
    "сука",
    "суки",
    "сучар*",
    "говн*",
    "дерьм*",
    "идиот*",
    "дебил*",
    "кретин*",
    "твою мать",
    # Greek
    "γαμώ*",
    "γαμημέν*",
    "γαμιέ*",
    "γαμήσ*",
    "μαλάκα",
    "μαλάκες",
    "μαλακί*",
    "σκατά",
    "ηλίθι*",
    "βλάκα*",
    "κερατά*",
    "στο διάολο",
)
"""A modest profanity and insult list, matched on stems (R6)."""

SHOUTING_ALLOWED: frozenset[str] = frozenset(
    {"HTTPS", "OAUTH", "MYSQL", "NGINX", "UTF", "GDPR", "WCAG", "SMTP", "IMAP", "VAT", "IBAN", "SWIFT", "PAYPAL"}
)
"""All-capital words longer than the short-acronym limit that are names, not shouting."""

JARGON: tuple[tuple[str, str, str], ...] = (
    # (entry, plain English, plain Russian)
    ("deplo*", "put live", "выложить на сайт"),
    ("redeplo*", "put live again", "выложить заново"),
    ("dns", "domain settings", "настройки домена"),
    ("dns records", "domain settings", "настройки домена"),
    ("propagat*", "the change spreading across the internet (takes a few hours)", "изменение расходится по интернету"),
    ("cron", "scheduled task", "задача по расписанию"),
    ("cron job*", "scheduled task", "задача по расписанию"),
    ("cronjob*", "scheduled task", "задача по расписанию"),
    ("repo", "code archive", "хранилище кода"),
    ("repos", "code archives", "хранилища кода"),
    ("repositor*", "code archive", "хранилище кода"),
    ("git", "the code's version history", "история версий кода"),
    ("github", "the code archive", "хранилище кода"),
    ("ssl", "security certificate (the padlock in the browser)", "сертификат безопасности (замок в браузере)"),
    ("ssl cert*", "security certificate (the padlock in the browser)", "сертификат безопасности (замок в браузере)"),
    ("tls", "secure connection", "защищённое соединение"),
    (
        "cach*",
        "saved copy (your browser may show an old version)",
        "сохранённая копия (браузер может показывать старую)",
    ),
    ("staging", "test version of the site", "тестовая версия сайта"),
    ("staging server", "test version of the site", "тестовая версия сайта"),
    ("prod", "the live site", "рабочий сайт"),
    ("merg*", "combine the changes", "объединить изменения"),
    ("commit", "saved change", "сохранённое изменение"),
    ("commits", "saved changes", "сохранённые изменения"),
    ("pull request*", "proposed change", "предложенное изменение"),
    ("api", "connection between the systems", "связь между системами"),
    ("apis", "connections between the systems", "связи между системами"),
    ("endpoint*", "connection point", "точка подключения"),
    ("cdn", "service that delivers the site fast worldwide", "сервис быстрой доставки сайта по всему миру"),
    ("backend*", "the behind-the-scenes part of the site", "внутренняя часть сайта"),
    ("back-end*", "the behind-the-scenes part of the site", "внутренняя часть сайта"),
    ("frontend*", "the visible part of the site", "видимая часть сайта"),
    ("front-end*", "the visible part of the site", "видимая часть сайта"),
    ("localhost", "my computer", "мой компьютер"),
    ("rollback*", "return to the previous version", "возврат к прежней версии"),
    ("roll back", "return to the previous version", "вернуть прежнюю версию"),
    ("hotfix*", "quick fix", "срочное исправление"),
    ("refactor*", "tidy up the code", "навести порядок в коде"),
    ("ssh", "secure access to the server", "защищённый доступ к серверу"),
    ("sftp", "file upload access", "доступ для загрузки файлов"),
    ("ftp", "file upload access", "доступ для загрузки файлов"),
    ("css", "the styles (colours, fonts, layout)", "оформление (цвета, шрифты, расположение)"),
    ("db", "database", "база данных"),
    ("devops", "server upkeep", "обслуживание серверов"),
    # Russian
    ("депло*", "put live", "выложить на сайт"),
    ("задепло*", "put live", "выложить на сайт"),
    ("передепло*", "put live again", "выложить заново"),
    ("репозитори*", "code archive", "хранилище кода"),
    ("репо", "code archive", "хранилище кода"),
    ("гитхаб*", "the code archive", "хранилище кода"),
    ("кэш*", "saved copy", "сохранённая копия (браузер может показывать старую)"),
    ("кеш*", "saved copy", "сохранённая копия (браузер может показывать старую)"),
    ("закэширова*", "saved a copy", "сохранил копию"),
    ("бэкенд*", "the behind-the-scenes part of the site", "внутренняя часть сайта"),
    ("бекенд*", "the behind-the-scenes part of the site", "внутренняя часть сайта"),
    ("бэк", "the behind-the-scenes part of the site", "внутренняя часть сайта"),
    ("фронтенд*", "the visible part of the site", "видимая часть сайта"),
    ("сервак*", "server", "сервер"),
    ("коммит*", "saved change", "сохранённое изменение"),
    ("закоммит*", "saved the change", "сохранил изменение"),
    ("мерж*", "combine the changes", "объединить изменения"),
    ("мердж*", "combine the changes", "объединить изменения"),
    ("смерж*", "combined the changes", "объединил изменения"),
    ("смердж*", "combined the changes", "объединил изменения"),
    ("стейджинг*", "test version of the site", "тестовая версия сайта"),
    ("стейдж*", "test version of the site", "тестовая версия сайта"),
    ("прод", "the live site", "рабочий сайт"),
    ("проде", "the live site", "рабочем сайте"),
    ("апи", "connection between the systems", "связь между системами"),
    ("днс", "domain settings", "настройки домена"),
    ("ssl-сертификат*", "security certificate", "сертификат безопасности (замок в браузере)"),
    ("хотфикс*", "quick fix", "срочное исправление"),
    ("откат*", "return to the previous version", "вернуть прежнюю версию"),
    ("рефактор*", "tidy up the code", "навести порядок в коде"),
    ("кронтаб*", "scheduled task", "задача по расписанию"),
)
"""Jargon a client may not know, each with a plain replacement in English and in Russian."""
