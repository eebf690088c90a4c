"""Page furniture: the lines a copied web page carries that are not the article, in six languages.

Pure data and two matchers, no Django imports (the parser uses them). A line is furniture when its
key (``key``: casefolded, spacing collapsed, curly apostrophes made straight, surrounding punctuation
trimmed) is one of ``LINES``, or the whole key matches one of ``PATTERNS``. English, Spanish, French,
German, Italian and Portuguese are covered: share and follow prompts, newsletter sign-ups,
advertisement markers, "related" and "read more" links, comment counters, cookie prompts, reading
times and common footer links. ``looks_like_furniture`` is the looser test behind the parser's
"boilerplate-like lines left in body" warning: a short line mentioning such things.
"""

from __future__ import annotations

import re

# Whole lines, as keys (see ``key``).
LINES: frozenset[str] = frozenset(
    {
        # en
        "advertisement",
        "advertisements",
        "ad",
        "ads",
        "sponsored",
        "sponsored content",
        "paid content",
        "share",
        "share this",
        "share this article",
        "share this story",
        "share this page",
        "share article",
        "share story",
        "tweet",
        "email",
        "e-mail",
        "print",
        "copy link",
        "link copied",
        "comments",
        "comment",
        "leave a comment",
        "add a comment",
        "show comments",
        "view comments",
        "hide comments",
        "join the conversation",
        "newsletter",
        "subscribe",
        "subscribe now",
        "sign up",
        "sign up for our newsletter",
        "sign up for our newsletters",
        "subscribe to our newsletter",
        "get our newsletter",
        "related",
        "related articles",
        "related stories",
        "related content",
        "related coverage",
        "read more",
        "read next",
        "more stories",
        "more from this author",
        "recommended",
        "recommended for you",
        "you may also like",
        "you might also like",
        "most popular",
        "most read",
        "trending",
        "trending now",
        "accept cookies",
        "accept all cookies",
        "accept all",
        "reject all",
        "cookie settings",
        "cookie policy",
        "manage cookies",
        "manage preferences",
        "skip to content",
        "skip to main content",
        "listen to this article",
        "continue reading",
        "story continues below",
        "story continues below advertisement",
        "article continues below",
        "article continues below advertisement",
        "advertisement - scroll to continue",
        "scroll to continue",
        "scroll to continue with content",
        "privacy policy",
        "terms of use",
        "terms of service",
        "terms and conditions",
        "contact us",
        "about us",
        "back to top",
        "follow us",
        "about the author",
        "about the authors",
        "top stories",
        "latest news",
        "menu",
        "search",
        "close",
        # es
        "publicidad",
        "anuncio",
        "contenido patrocinado",
        "compartir",
        "comparte",
        "compartir artículo",
        "comparte este artículo",
        "compartir este artículo",
        "comparte esta noticia",
        "suscríbete",
        "suscribirse",
        "suscríbete a nuestro boletín",
        "suscríbete a nuestra newsletter",
        "boletín",
        "relacionado",
        "relacionados",
        "noticias relacionadas",
        "artículos relacionados",
        "leer más",
        "lee más",
        "sigue leyendo",
        "seguir leyendo",
        "comentarios",
        "ver comentarios",
        "deja un comentario",
        "deja tu comentario",
        "aceptar cookies",
        "aceptar todas las cookies",
        "aceptar todo",
        "configuración de cookies",
        "política de privacidad",
        "política de cookies",
        "aviso legal",
        "contacto",
        "sobre el autor",
        "lo más leído",
        "más leídas",
        "síguenos",
        "escuchar este artículo",
        # fr
        "publicité",
        "annonce",
        "contenu sponsorisé",
        "partager",
        "partager cet article",
        "partagez cet article",
        "s'abonner",
        "abonnez-vous",
        "inscrivez-vous à notre newsletter",
        "abonnez-vous à notre newsletter",
        "recevez notre newsletter",
        "à lire aussi",
        "a lire aussi",
        "lire aussi",
        "lire la suite",
        "articles liés",
        "sur le même sujet",
        "commentaires",
        "réagir",
        "voir les commentaires",
        "laisser un commentaire",
        "accepter les cookies",
        "accepter et fermer",
        "tout accepter",
        "tout refuser",
        "paramètres des cookies",
        "gérer les cookies",
        "politique de confidentialité",
        "mentions légales",
        "à propos de l'auteur",
        "les plus lus",
        "écouter cet article",
        "suivez-nous",
        # de
        "anzeige",
        "werbung",
        "teilen",
        "artikel teilen",
        "diesen artikel teilen",
        "newsletter abonnieren",
        "jetzt abonnieren",
        "melden sie sich für unseren newsletter an",
        "mehr zum thema",
        "lesen sie auch",
        "lesen sie mehr",
        "weiterlesen",
        "mehr lesen",
        "verwandte artikel",
        "das könnte sie auch interessieren",
        "auch interessant",
        "kommentare",
        "kommentar schreiben",
        "kommentieren",
        "cookies akzeptieren",
        "alle akzeptieren",
        "alle ablehnen",
        "cookie-einstellungen",
        "datenschutz",
        "datenschutzerklärung",
        "impressum",
        "über den autor",
        "über die autorin",
        "meistgelesen",
        "artikel anhören",
        "folgen sie uns",
        # it
        "pubblicità",
        "annuncio pubblicitario",
        "contenuto sponsorizzato",
        "condividi",
        "condividi questo articolo",
        "condividi l'articolo",
        "iscriviti alla newsletter",
        "iscriviti alla nostra newsletter",
        "iscriviti",
        "leggi anche",
        "leggi di più",
        "continua a leggere",
        "articoli correlati",
        "notizie correlate",
        "commenti",
        "lascia un commento",
        "accetta i cookie",
        "accetta tutti",
        "rifiuta tutti",
        "impostazioni dei cookie",
        "informativa sulla privacy",
        "informativa cookie",
        "sull'autore",
        "i più letti",
        "ascolta l'articolo",
        "seguici",
        # pt
        "publicidade",
        "anúncio",
        "conteúdo patrocinado",
        "compartilhar",
        "partilhar",
        "compartilhe",
        "partilhe",
        "compartilhe este artigo",
        "partilhe este artigo",
        "assine",
        "assine a nossa newsletter",
        "assine nossa newsletter",
        "inscreva-se na nossa newsletter",
        "subscreva a nossa newsletter",
        "leia também",
        "leia mais",
        "veja também",
        "saiba mais",
        "continue lendo",
        "continuar a ler",
        "artigos relacionados",
        "notícias relacionadas",
        "comentários",
        "deixe um comentário",
        "deixe seu comentário",
        "aceitar cookies",
        "aceitar todos",
        "aceitar e fechar",
        "definições de cookies",
        "configurações de cookies",
        "política de privacidade",
        "sobre o autor",
        "mais lidas",
        "ouvir este artigo",
        "siga-nos",
        # the Blaze Media seed
        "want to leave a tip?",
        "want to leave a tip",
        "want to join the conversation?",
        "want to join the conversation",
        "already a subscriber?",
        "already a subscriber",
    }
)

_NETWORKS = (
    r"(?:facebook|twitter|x|whatsapp|linkedin|e-?mail|pinterest|reddit|telegram|messenger|flipboard|bluesky|"
    r"threads|instagram)"
)
_SHARE = r"(?:share|compartir|comparte|partager|partagez|teilen|condividi|compartilhar|compartilhe|partilhar|partilhe)"
_ON = r"(?:on|via|en|sur|auf|per|su|no|na|em|por)"
_FOLLOW = r"(?:follow us|follow|síguenos|siguenos|suivez-nous|folgen sie uns|seguici|siga-nos|segue-nos)"
_READ_MORE = (
    r"(?:read more|read also|also read|related|see also|more|recommended|watch|listen|"
    r"más información|leer más|lee más|lea también|lee también|te puede interesar|relacionado|"
    r"lire aussi|à lire aussi|a lire aussi|voir aussi|lire la suite|"
    r"lesen sie auch|lesen sie mehr|mehr zum thema|auch interessant|siehe auch|"
    r"leggi anche|leggi di più|vedi anche|"
    r"leia também|leia mais|veja também|saiba mais)"
)
_COMMENTS = r"(?:comments?|comentarios?|commentaires?|kommentare?|commenti|commento|comentários?)"
_MINUTES = r"(?:min|mins|minutes?|minutos?|minuten|minuti)"
_READ_TIME = (
    r"(?:(?:\d+(?::\d\d)?\s*"
    + _MINUTES
    + r"\.?\s*(?:read|de lectura|de lecture|lesezeit|di lettura|de leitura|leitura|lesen))|"
    r"(?:(?:reading time|tiempo de lectura|temps de lecture|lesezeit|lesedauer|tempo di lettura|tempo de leitura)"
    r"\s*:?\s*\d+\s*" + _MINUTES + r"\.?))"
)
_COOKIES = (
    r"(?:we use cookies|this (?:web)?site uses cookies|utilizamos cookies|usamos cookies|"
    r"este sitio (?:web )?utiliza cookies|nous utilisons des cookies|ce site utilise des cookies|"
    r"wir verwenden cookies|diese (?:web)?seite verwendet cookies|"
    r"diese website verwendet cookies|utilizziamo (?:i )?cookie|questo sito (?:utilizza|usa) (?:i )?cookie|"
    r"este site (?:utiliza|usa) cookies|usamos cookies)"
)

# Whole keys (see ``key``) that are furniture.
PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        _SHARE + r"(?:\s+" + _ON + r")?\s+" + _NETWORKS,
        r"(?:" + _SHARE + r"\s*)?(?:" + _NETWORKS + r"\s*[|,·•/]?\s*){2,}",
        r"(?:auf|su|no|na|en|sur)\s+"
        + _NETWORKS
        + r"\s+(?:teilen|condividere|compartilhar|partilhar|compartir|partager)",
        _FOLLOW + r"(?:\s+(?:us\s+)?(?:on|en|sur|auf|su|no|na|em)\s+.{1,40})?",
        r"(?:sign up|subscribe|register)(?: now| today| free)?(?: for| to)? (?:our|the|my)? ?.{0,40}"
        r"newsletters?(?: .{0,40})?",
        r"(?:suscríbete|suscribete|inscríbete|abonnez-vous|inscrivez-vous|iscriviti|assine|inscreva-se|subscreva|"
        r"melden sie sich|abonnieren sie) .{0,60}(?:newsletter|boletín|bulletin)s?.{0,40}",
        r"newsletter(?: abonnieren| abonnement)?",
        _READ_MORE + r"\s*[:»›|>\-–—]\s*.{1,200}",
        r"(?:\d+\s+" + _COMMENTS + r"|" + _COMMENTS + r"\s*\(\d+\)|" + _COMMENTS + r"\s*:\s*\d+)",
        r"(?:listen to this article|escuchar este artículo|écouter cet article|artikel anhören|ascolta l'articolo|"
        r"ouvir este artigo)(?:\s*[·•|,:-]?\s*\d+(?::\d\d)?\s*" + _MINUTES + r"\.?)?",
        _READ_TIME,
        _COOKIES + r".{0,400}",
        r"(?:advertisement|publicidad|publicité|anzeige|werbung|pubblicità|publicidade)\s*[-–—:]\s*.{0,60}",
        r"(?:story|article) continues (?:below|after)(?: (?:the )?(?:advertisement|ad))?",
        r"we answer to you\. help keep our content free\b.*",
        r"skip to (?:main )?content ?(?:skip to (?:site index|navigation|footer))?|skip to (?:site index|navigation)",
        r"reporting from [^.]{1,80}",
        r"a version of this (?:article|story) appears? in print\b.*",
        r"explore more on (?:these|this) topics?|reuse this content|most viewed|sign in|log in|register",
    )
)

_FURNITURE_WORDS = re.compile(
    r"\b(?:share|newsletters?|subscribe|subscription|cookies?|advertisement|sponsored|comments|sign up|"
    r"suscr\w*|bolet[ií]n|publicidad|compart\w*|comentarios|abonn\w*|publicit[ée]|partag\w*|commentaires|"
    r"anzeige|werbung|teilen|kommentare|pubblicit[àa]|condividi|iscriviti|commenti|publicidade|partilh\w*|"
    r"assine|coment[áa]rios)\b"
)
_TRIM = " \t:;,.!…»«›‹|>-–—·•*()[]"
LOOSE_MAX_WORDS = 6


def words_up_to(line: str, limit: int) -> int:
    """Return the number of words in ``line``, counted no further than ``limit + 1``.

    Reads only as far as that: most tests ask whether a line is short, and most lines are paragraphs.
    """
    return len(line.split(maxsplit=limit))


def key(line: str) -> str:
    """Return the form a line is compared in: casefolded, spacing collapsed, outer punctuation trimmed."""
    folded = " ".join(line.casefold().replace("\u2019", "'").split())
    return folded.strip(_TRIM) or folded


# Longer than this, a line can only be furniture of the long kinds (cookie prompts, "Read more: <headline>").
SHORT_LINE = 140
# One alternation each, so a line costs one match whatever the number of patterns.
_ANY_RE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in PATTERNS))
_LONG_RE = re.compile(
    "|".join(f"(?:{p.pattern})" for p in PATTERNS if p.pattern.endswith((".{1,200}", ".{0,400}", ".*")))
)


def is_furniture(line: str) -> bool:
    """Tell whether the whole ``line`` is shipped page furniture."""
    line_key = key(line)
    pattern = _ANY_RE if len(line_key) <= SHORT_LINE else _LONG_RE
    return line_key in LINES or pattern.fullmatch(line_key) is not None


def looks_like_furniture(line: str) -> bool:
    """Tell whether ``line`` is short, reads like no sentence and mentions sharing, newsletters, cookies, ..."""
    return (
        words_up_to(line, LOOSE_MAX_WORDS) <= LOOSE_MAX_WORDS
        and not line.rstrip("\"'”’»)").endswith(".")
        and bool(_FURNITURE_WORDS.search(line.casefold()))
    )
