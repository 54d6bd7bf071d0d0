"""Nickname and short-form table: names in one group may refer to the same person.

English diminutives plus common Nordic, German, Dutch, French and Spanish short forms.
Each line is one group; a name may sit in several groups (Jan is short for Johannes and for Janet).
Names are folded like everything else (Margrethe and Grete, Åse and Aase, compare after folding).
"""

from __future__ import annotations

from functools import lru_cache

from .text import fold

NICKNAME_GROUPS_TEXT = """
robert bob bobby rob robbie robin bert bertie
william bill billy will willie liam wil
richard dick rick ricky rich richie
margaret peggy maggie meg megan marge margie greta gretchen margarete margrethe grete maren marit mette
elizabeth liz lizzie beth betty bess bessie eliza lisa libby elsa elise ella lise lisbeth elisabeth liesel ilse
katherine catherine kathryn kate katie kathy cathy kat kay karen karin kaja kaisa katarina katharina kathrin trine
kristoffer christopher kris chris christoph christophe christoffer kristofer toffe stoffel
christian christiaan kristian chris kris krister
christine christina kristina kristine kirsten stine tina chris kristin
johannes hannes jan johan john jon jonny johnny jack hans jens johann jean juan giovanni janne hannu
janet janice jan jane janie jenny jenni
jennifer jenny jen jenna
james jim jimmy jamie jaime diego
joseph joe joey jose pepe josef sepp jozef
michael mike mikey mick micky mikkel mikael michel michiel micha mika miguel
thomas tom tommy thom tomas thomasz tuomas
anthony tony antonio anton toni antoine
andrew andy drew andreas anders andre andres andries dries
alexander alex alec sandy sasha xander alexandre alejandro sander lex
alexandra alex sandra sasha alejandra sanne
charles charlie chuck chas carl karl karel carlos kalle charlotte lotte lotta
edward ed eddie ted teddy ned edvard eduard edouard
daniel dan danny dani daan
david dave davey davy
stephen steven steve stevie stefan stephan stephane esteban steffen
matthew matt matthias mathias matthijs mats mads mathieu mateo matti
nicholas nick nicky nico nicolas niklas nils niels klaus claus nicolaas
peter pete piet pierre pedro per peder petter petr
benjamin ben benny benji
samuel sam sammy
timothy tim timmy
patrick pat paddy patrik
frederick fred freddie freddy frederik fredrik fritz frits frederic federico rik
henry harry hank hal henrik heinrich heinz henri enrique hendrik henk
lawrence larry laurence lars lasse laurens laurent lorenzo
gustav gustaf gus gösta gosta staffan
olav olaf ole ola olle oluf
eric erik rick erich
jacob jakob jake jaap jacques jaime kobus
magnus mange mogens
albert al bert albrecht
donald don donnie
ronald ron ronnie
kenneth ken kenny
gerald gerry jerry gerard gert gerrit
leonard leo len lenny leon
susan sue susie suzanne susanne sanne
deborah debbie deb debra
rebecca becky becca
victoria vicky tori vicki
abigail abby gail
dorothy dot dottie dora
eleanor ellie nell nellie elinor eleonora nora leonora
helen helena lena ellen helene heli
mary molly polly mae maria marie mia maja mariah marieke mieke marije
ann anne anna annie nancy anja anneke anke annika
barbara barb barbie babs
caroline carol carrie carolina karoline line lina
patricia pat patty trish tricia
sophia sophie sofia sofie fie
josephine jo josie fifi
jessica jess jessie
samantha sam sammie
judith judy jude
frances fran frankie francesca francoise
francis frank frankie franz frans francois francisco paco
ingrid inga inge
birgitta birgit brigitte britt britta bridget gitte
kirsten kerstin kiki
annemarie anne-marie annemie
gunnar gunni
sebastian seb basti bas
wilhelmina willemijn mina wilma
willem wim
gerhard gerd
wolfgang wolf
joachim jochen achim
ulrich ulli uli
dietrich dieter
bernhard bernd bernard bernardo
friedrich fritz
guillaume guy
emmanuel manu manuel
dominique dom dominic dominik
isabelle isabel isabella bella izzy
joanna joan joanne jo johanna hanne hanna hannah janna
rasmus rasse
søren soren
kasper casper jesper
niclas nicklas
åse aase asa
tobias tobi tob
kjell kjeld
torbjorn tobbe
mikaela micaela mikkeline
"""


def _build() -> dict[str, frozenset[int]]:
    table: dict[str, set[int]] = {}
    for gid, line in enumerate(ln for ln in NICKNAME_GROUPS_TEXT.splitlines() if ln.strip()):
        for name in line.split():
            table.setdefault(fold(name), set()).add(gid)
    return {k: frozenset(v) for k, v in table.items()}


NICKNAMES: dict[str, frozenset[int]] = _build()
CANONICAL: dict[int, str] = {
    gid: fold(line.split()[0]) for gid, line in enumerate(ln for ln in NICKNAME_GROUPS_TEXT.splitlines() if ln.strip())
}


def nickname_groups(folded_first: str) -> frozenset[int]:
    """Group ids of a folded first name (empty when it has no known short forms)."""
    return NICKNAMES.get(folded_first, frozenset())


@lru_cache(maxsize=50_000)
def canonical_initials(folded_first: str) -> frozenset[str]:
    """Initials of the name and of the full forms it may stand for (Bob -> {b, r})."""
    if not folded_first:
        return frozenset()
    return frozenset({folded_first[0]} | {CANONICAL[g][0] for g in nickname_groups(folded_first)})


def are_nicknames(a: str, b: str) -> bool:
    """True when two folded first names share a nickname group."""
    return bool(nickname_groups(a) & nickname_groups(b))
