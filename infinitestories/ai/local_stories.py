"""The offline storyteller: a real multi-paragraph story from the hero and the event, in five
languages. Deterministic: the same hero and event always give the same story."""

import hashlib

EVENTS = {
    "en": {
        "bedtime": "getting ready for bed",
        "birthday": "a birthday",
        "first_day_of_school": "the first day of school",
        "doctor_visit": "a visit to the doctor",
        "holiday": "a holiday trip",
        "new_sibling": "welcoming a new baby",
        "adventure": "a gentle adventure",
        "lost_tooth": "losing a first tooth",
        "moving_house": "moving to a new home",
        "friendship": "making a new friend",
        "nature": "a day in nature",
    },
    "es": {
        "bedtime": "la hora de dormir",
        "birthday": "un cumpleaños",
        "first_day_of_school": "el primer día de escuela",
        "doctor_visit": "una visita al médico",
        "holiday": "un viaje de vacaciones",
        "new_sibling": "la llegada de un bebé",
        "adventure": "una pequeña aventura",
        "lost_tooth": "perder el primer diente",
        "moving_house": "mudarse a una casa nueva",
        "friendship": "hacer un nuevo amigo",
        "nature": "un día en la naturaleza",
    },
    "fr": {
        "bedtime": "l'heure du coucher",
        "birthday": "un anniversaire",
        "first_day_of_school": "la rentrée des classes",
        "doctor_visit": "une visite chez le médecin",
        "holiday": "un voyage de vacances",
        "new_sibling": "l'arrivée d'un bébé",
        "adventure": "une petite aventure",
        "lost_tooth": "la première dent tombée",
        "moving_house": "un déménagement",
        "friendship": "un nouvel ami",
        "nature": "une journée dans la nature",
    },
    "de": {
        "bedtime": "die Schlafenszeit",
        "birthday": "einen Geburtstag",
        "first_day_of_school": "den ersten Schultag",
        "doctor_visit": "einen Besuch beim Arzt",
        "holiday": "eine Urlaubsreise",
        "new_sibling": "die Ankunft eines Babys",
        "adventure": "ein kleines Abenteuer",
        "lost_tooth": "den ersten Wackelzahn",
        "moving_house": "den Umzug in ein neues Zuhause",
        "friendship": "eine neue Freundschaft",
        "nature": "einen Tag in der Natur",
    },
    "it": {
        "bedtime": "l'ora della nanna",
        "birthday": "un compleanno",
        "first_day_of_school": "il primo giorno di scuola",
        "doctor_visit": "una visita dal dottore",
        "holiday": "un viaggio di vacanza",
        "new_sibling": "l'arrivo di un fratellino",
        "adventure": "una piccola avventura",
        "lost_tooth": "il primo dentino caduto",
        "moving_house": "il trasloco in una nuova casa",
        "friendship": "un nuovo amico",
        "nature": "una giornata nella natura",
    },
}

TITLES = {
    "en": [
        "{name} and the Glowing Star",
        "{name}'s Gentle Journey",
        "{name} and the Moonlit Garden",
    ],
    "es": [
        "{name} y la estrella brillante",
        "El viaje tranquilo de {name}",
        "{name} y el jardín de la luna",
    ],
    "fr": [
        "{name} et l'étoile qui brille",
        "Le doux voyage de {name}",
        "{name} et le jardin de lune",
    ],
    "de": ["{name} und der leuchtende Stern", "{name}s sanfte Reise", "{name} und der Mondgarten"],
    "it": [
        "{name} e la stella luminosa",
        "Il dolce viaggio di {name}",
        "{name} e il giardino della luna",
    ],
}

PARAGRAPHS = {
    "en": [
        "Once upon a time, in a cozy little town, there lived a {age}-year-old hero named {name}. {name} was {traits}, and everyone who met {name} smiled. Today was special, because it was all about {event}.",
        'In the morning, {name} noticed a tiny glowing star resting on the windowsill. "Will you help me?" whispered the star. "I need a {trait1} friend to guide me home before the night is over." {name} nodded and held the star gently.',
        "Together they walked through the garden, where the flowers swayed and the birds sang. {name} used a special gift, {ability}, to light the path. Whenever the way seemed tricky, {name} remembered to be {trait2} and take one small step at a time.",
        "Along the way they met a sleepy owl, a cheerful rabbit and a wise old tree. Each friend shared a little advice about {event}, and {name} listened carefully. The star glowed brighter with every kind word.",
        "At last they reached the top of the gentle hill, where the sky was wide and full of friendly lights. The star thanked {name}, rose softly into the sky and twinkled a goodnight. {name} waved and felt warm and proud.",
        "That evening, tucked in a soft blanket, {name} looked out of the window and saw the star shining just for them. {name} smiled, closed both eyes and drifted into sweet dreams, ready for tomorrow's adventures. The end.",
    ],
    "es": [
        "Había una vez, en un pueblito acogedor, un héroe de {age} años llamado {name}. {name} era {traits}, y todos sonreían al conocerle. Hoy era un día especial, porque se trataba de {event}.",
        'Por la mañana, {name} vio una pequeña estrella brillante descansando en la ventana. "¿Me ayudas?", susurró la estrella. "Necesito un amigo {trait1} que me guíe a casa antes de que acabe la noche." {name} asintió y la sostuvo con cuidado.',
        "Juntos caminaron por el jardín, donde las flores se mecían y los pájaros cantaban. {name} usó un don especial, {ability}, para iluminar el camino. Cuando el camino parecía difícil, {name} recordaba ser {trait2} y dar un pasito cada vez.",
        "En el camino conocieron a un búho dormilón, un conejo alegre y un viejo árbol sabio. Cada amigo compartió un consejo sobre {event}, y {name} escuchó con atención. La estrella brillaba más con cada palabra amable.",
        "Por fin llegaron a la cima de la colina, donde el cielo era inmenso y lleno de luces amigas. La estrella dio las gracias a {name}, subió suavemente al cielo y parpadeó un buenas noches. {name} la saludó y se sintió feliz y orgulloso.",
        "Esa noche, arropado con una manta suave, {name} miró por la ventana y vio la estrella brillando solo para él. {name} sonrió, cerró los ojos y se quedó dormido con dulces sueños, listo para las aventuras de mañana. Fin.",
    ],
    "fr": [
        "Il était une fois, dans une petite ville douillette, un héros de {age} ans nommé {name}. {name} était {traits}, et tous ceux qui le rencontraient souriaient. Aujourd'hui était un jour spécial, car il s'agissait de {event}.",
        "Le matin, {name} remarqua une petite étoile brillante posée sur le rebord de la fenêtre. « Veux-tu m'aider ? » murmura l'étoile. « J'ai besoin d'un ami {trait1} pour me guider chez moi avant la fin de la nuit. » {name} hocha la tête et la prit doucement.",
        "Ensemble, ils traversèrent le jardin où les fleurs se balançaient et où les oiseaux chantaient. {name} utilisa un don spécial, {ability}, pour éclairer le chemin. Quand la route semblait difficile, {name} se rappelait d'être {trait2} et d'avancer un petit pas à la fois.",
        "En chemin, ils rencontrèrent une chouette endormie, un lapin joyeux et un vieil arbre sage. Chaque ami donna un petit conseil sur {event}, et {name} écouta attentivement. L'étoile brillait plus fort à chaque mot gentil.",
        "Enfin, ils arrivèrent en haut de la douce colline, où le ciel était immense et plein de lumières amies. L'étoile remercia {name}, monta doucement dans le ciel et scintilla un bonsoir. {name} lui fit signe, fier et heureux.",
        "Ce soir-là, blotti sous une couverture moelleuse, {name} regarda par la fenêtre et vit l'étoile briller rien que pour lui. {name} sourit, ferma les yeux et s'endormit dans de jolis rêves, prêt pour les aventures de demain. Fin.",
    ],
    "de": [
        "Es war einmal, in einer gemütlichen kleinen Stadt, ein {age}-jähriger Held namens {name}. {name} war {traits}, und alle, die {name} trafen, lächelten. Heute war ein besonderer Tag, denn es ging um {event}.",
        'Am Morgen entdeckte {name} einen kleinen leuchtenden Stern auf dem Fensterbrett. "Hilfst du mir?", flüsterte der Stern. "Ich brauche einen {trait1} Freund, der mich nach Hause bringt, bevor die Nacht vorbei ist." {name} nickte und hielt den Stern ganz sanft.',
        "Zusammen gingen sie durch den Garten, wo die Blumen sich wiegten und die Vögel sangen. {name} nutzte eine besondere Gabe, {ability}, um den Weg zu erhellen. Wenn der Weg schwierig schien, erinnerte sich {name} daran, {trait2} zu sein und einen kleinen Schritt nach dem anderen zu machen.",
        "Unterwegs trafen sie eine schläfrige Eule, einen fröhlichen Hasen und einen weisen alten Baum. Jeder Freund gab einen kleinen Rat über {event}, und {name} hörte genau zu. Der Stern leuchtete mit jedem freundlichen Wort heller.",
        "Endlich erreichten sie die Spitze des sanften Hügels, wo der Himmel weit und voller freundlicher Lichter war. Der Stern dankte {name}, stieg leise in den Himmel und funkelte gute Nacht. {name} winkte und fühlte sich warm und stolz.",
        "Am Abend, eingekuschelt in eine weiche Decke, schaute {name} aus dem Fenster und sah den Stern nur für sich leuchten. {name} lächelte, schloss die Augen und schlief mit süßen Träumen ein, bereit für die Abenteuer von morgen. Ende.",
    ],
    "it": [
        "C'era una volta, in un piccolo paese accogliente, un eroe di {age} anni di nome {name}. {name} era {traits}, e chiunque lo incontrasse sorrideva. Oggi era un giorno speciale, perché si trattava di {event}.",
        'Al mattino, {name} notò una piccola stella luminosa appoggiata sul davanzale. "Mi aiuti?" sussurrò la stella. "Ho bisogno di un amico {trait1} che mi guidi a casa prima che finisca la notte." {name} annuì e la tenne con delicatezza.',
        "Insieme attraversarono il giardino, dove i fiori danzavano e gli uccellini cantavano. {name} usò un dono speciale, {ability}, per illuminare il sentiero. Quando la strada sembrava difficile, {name} si ricordava di essere {trait2} e di fare un piccolo passo alla volta.",
        "Lungo la strada incontrarono un gufo assonnato, un coniglio allegro e un vecchio albero saggio. Ogni amico diede un piccolo consiglio su {event}, e {name} ascoltò con attenzione. La stella brillava di più a ogni parola gentile.",
        "Alla fine arrivarono in cima alla dolce collina, dove il cielo era grande e pieno di luci amiche. La stella ringraziò {name}, salì piano nel cielo e brillò una buonanotte. {name} la salutò, felice e orgoglioso.",
        "Quella sera, avvolto in una coperta morbida, {name} guardò fuori dalla finestra e vide la stella brillare solo per lui. {name} sorrise, chiuse gli occhi e si addormentò con sogni dolci, pronto per le avventure di domani. Fine.",
    ],
}

AND = {"en": "and", "es": "y", "fr": "et", "de": "und", "it": "e"}
DEFAULT_TRAITS = {
    "en": ["kind", "brave"],
    "es": ["amable", "valiente"],
    "fr": ["gentil", "courageux"],
    "de": ["freundlich", "mutig"],
    "it": ["gentile", "coraggioso"],
}
DEFAULT_ABILITY = {
    "en": "a warm smile",
    "es": "una sonrisa cálida",
    "fr": "un sourire chaleureux",
    "de": "ein warmes Lächeln",
    "it": "un sorriso caldo",
}


def event_phrase(*, language: str, event_type: str, custom_title: str = "") -> str:
    if custom_title:
        return custom_title
    return EVENTS.get(language, EVENTS["en"]).get(event_type) or event_type.replace("_", " ")


def write_story(
    *,
    language: str,
    name: str,
    age: int,
    traits: list[str],
    abilities: list[str],
    event: str,
    paragraphs: int | None = None,
) -> tuple[str, str]:
    """Returns (title, content). `paragraphs` repeats the middle of the story to make it longer."""
    language = language if language in PARAGRAPHS else "en"
    traits = [t for t in traits if t] or DEFAULT_TRAITS[language]
    trait1 = traits[0]
    trait2 = traits[1] if len(traits) > 1 else DEFAULT_TRAITS[language][1]
    joined = (
        f"{', '.join(traits[:-1])} {AND[language]} {traits[-1]}" if len(traits) > 1 else traits[0]
    )
    values = {
        "name": name,
        "age": age,
        "traits": joined,
        "trait1": trait1,
        "trait2": trait2,
        "ability": abilities[0] if abilities else DEFAULT_ABILITY[language],
        "event": event,
    }
    body = PARAGRAPHS[language]
    if paragraphs and paragraphs > len(body):
        middle = body[1:-1]
        extra = [middle[i % len(middle)] for i in range(paragraphs - 2)]
        body = [body[0], *extra, body[-1]]
    seed = int(hashlib.sha256(f"{name}|{event}|{language}".encode()).hexdigest(), 16)
    title = TITLES[language][seed % len(TITLES[language])].format(name=name)
    return title, "\n\n".join(p.format(**values) for p in body)
