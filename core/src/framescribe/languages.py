"""Language codes: one spelling for the many a user, a container or a file name may use.

Containers tag streams with ISO 639-2 codes ("eng", "fre" or "fra"), file names
and speech models use ISO 639-1 ("en"), people type names ("English") or
locales ("en-US", "pt_BR"). :func:`normalize_language` maps all of these to the
two-letter code when one exists, so backends compare like with like.
"""

from __future__ import annotations

# ISO 639-1 -> (ISO 639-2 codes (T first, then B when it differs), English name).
_TABLE: dict[str, tuple[tuple[str, ...], str]] = {
    "af": (("afr",), "afrikaans"), "am": (("amh",), "amharic"), "ar": (("ara",), "arabic"),
    "az": (("aze",), "azerbaijani"), "be": (("bel",), "belarusian"), "bg": (("bul",), "bulgarian"),
    "bn": (("ben",), "bengali"), "bs": (("bos",), "bosnian"), "ca": (("cat",), "catalan"),
    "cs": (("ces", "cze"), "czech"), "cy": (("cym", "wel"), "welsh"), "da": (("dan",), "danish"),
    "de": (("deu", "ger"), "german"), "el": (("ell", "gre"), "greek"), "en": (("eng",), "english"),
    "es": (("spa",), "spanish"), "et": (("est",), "estonian"), "eu": (("eus", "baq"), "basque"),
    "fa": (("fas", "per"), "persian"), "fi": (("fin",), "finnish"), "fr": (("fra", "fre"), "french"),
    "ga": (("gle",), "irish"), "gl": (("glg",), "galician"), "gu": (("guj",), "gujarati"),
    "he": (("heb",), "hebrew"), "hi": (("hin",), "hindi"), "hr": (("hrv",), "croatian"),
    "hu": (("hun",), "hungarian"), "hy": (("hye", "arm"), "armenian"), "id": (("ind",), "indonesian"),
    "is": (("isl", "ice"), "icelandic"), "it": (("ita",), "italian"), "ja": (("jpn",), "japanese"),
    "ka": (("kat", "geo"), "georgian"), "kk": (("kaz",), "kazakh"), "km": (("khm",), "khmer"),
    "kn": (("kan",), "kannada"), "ko": (("kor",), "korean"), "la": (("lat",), "latin"),
    "lt": (("lit",), "lithuanian"), "lv": (("lav",), "latvian"), "mk": (("mkd", "mac"), "macedonian"),
    "ml": (("mal",), "malayalam"), "mn": (("mon",), "mongolian"), "mr": (("mar",), "marathi"),
    "ms": (("msa", "may"), "malay"), "mt": (("mlt",), "maltese"), "my": (("mya", "bur"), "burmese"),
    "ne": (("nep",), "nepali"), "nl": (("nld", "dut"), "dutch"), "no": (("nor",), "norwegian"),
    "nb": (("nob",), "norwegian bokmål"), "nn": (("nno",), "norwegian nynorsk"), "pa": (("pan",), "punjabi"),
    "pl": (("pol",), "polish"), "pt": (("por",), "portuguese"), "ro": (("ron", "rum"), "romanian"),
    "ru": (("rus",), "russian"), "sk": (("slk", "slo"), "slovak"), "sl": (("slv",), "slovenian"),
    "so": (("som",), "somali"), "sq": (("sqi", "alb"), "albanian"), "sr": (("srp",), "serbian"),
    "sv": (("swe",), "swedish"), "sw": (("swa",), "swahili"), "ta": (("tam",), "tamil"),
    "te": (("tel",), "telugu"), "th": (("tha",), "thai"), "tl": (("tgl",), "tagalog"),
    "tr": (("tur",), "turkish"), "uk": (("ukr",), "ukrainian"), "ur": (("urd",), "urdu"),
    "uz": (("uzb",), "uzbek"), "vi": (("vie",), "vietnamese"), "yi": (("yid",), "yiddish"),
    "zh": (("zho", "chi"), "chinese"), "zu": (("zul",), "zulu"),
}
_ALIASES: dict[str, str] = {}
for _two, (_threes, _name) in _TABLE.items():
    _ALIASES[_two] = _two
    _ALIASES[_name] = _two
    for _three in _threes:
        _ALIASES[_three] = _two

# Tags that say "no language" rather than naming one.
UNDETERMINED = frozenset({"und", "unk", "mis", "mul", "zxx", "xx", ""})


def normalize_language(code: str | None) -> str | None:
    """The ISO 639-1 code for ``code`` when known ("eng", "en-US", "English" -> "en").

    An unknown code comes back lower-cased without its region ("tlh-x" -> "tlh"),
    so two spellings of one unknown language still compare equal; "und" and
    other "no language" tags give None.
    """
    if code is None:
        return None
    key = code.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    base = key.split("-", 1)[0]
    if base in UNDETERMINED:
        return None
    return _ALIASES.get(base, base)


def same_language(a: str | None, b: str | None) -> bool:
    """Whether two language tags name the same language (None matches nothing)."""
    na, nb = normalize_language(a), normalize_language(b)
    return na is not None and na == nb


def is_known_language(code: str) -> bool:
    """Whether ``code`` is in the table (by any spelling)."""
    key = code.strip().lower().replace("_", "-")
    return key in _ALIASES or key.split("-", 1)[0] in _ALIASES
