# Rapport's de date formats; everything else (decimal mark, thousands separator, input formats) is Django's.
DATE_FORMAT = "j. N Y"
DATETIME_FORMAT = "j. N Y H:i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
