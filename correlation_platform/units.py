"""Units shared by every layer (imported from here, never re-typed)."""

#: Trading days in a year, for annualising daily figures (volatility x sqrt, variance and
#: returns x). 252 is the NYSE's average count of sessions a year and the convention of
#: empyrical, skfolio and arch, so our annualised numbers compare with theirs.
TRADING_DAYS = 252
