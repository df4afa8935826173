"""Chapter 04 data: where prompts live for the model, a 2D map of ~200 real prompts in the text encoder's space.

Each prompt becomes the text encoder's pooled sentence vector (all-MiniLM-L6-v2: 384 numbers, the mean of
its token states, unit length): the same encoder whose token states condition the denoiser. This is the
text encoder's space, not the space of images. The vectors are laid out in 2D with UMAP (seeded, so the
map is the same on every run; PCA when umap-learn is missing), and measured in the full 384 dimensions:
how often a prompt's nearest neighbours share its category, against chance; the silhouette of the
categories; how many of those neighbourhoods the 2D map keeps. The chapter's prompt is then placed on the
map (not used to fit it) with its nearest neighbours by cosine similarity.
"""

import numpy as np

from render_data.loading import load_model
from render_data.maps import (PCA2D, chance_agreement, cosine_similarity, fit_unit_box, knn_label_agreement,
                              nearest, neighbour_overlap, silhouette)

CONFIG = {
    "model": "embedded",
    "prompt": "a strawberry",  # the video's prompt (chapter 02); kept out of the fitted prompts
    "neighbours": 5,  # k of the nearest-neighbour measures and of the prompt's listed neighbours
    "projection": {"method": "umap", "n_neighbors": 15, "min_dist": 0.3, "seed": 0},
    # Pairs of phrasings with no word in common: does the encoder put them close anyway?
    "phrasing_pairs": [["a kitten", "a cat"], ["a puppy", "a dog"], ["a jet plane", "an airplane"],
                       ["a sailboat", "a boat"], ["a rose", "a flower"]],
    # Category -> prompts. The dataset's subjects ("a snail", ...) and beyond, in plain phrasings.
    "prompts": {
        "animals": [
            "a snail", "a butterfly", "a cat", "a dog", "a fish", "a frog", "an owl", "a turtle", "an octopus",
            "a penguin", "an elephant", "a whale", "a bee", "a crab", "a kitten", "a puppy", "a horse", "a lion",
            "a tiger", "a rabbit", "a fox", "a bear", "a parrot", "a shark", "a dolphin", "a giraffe", "a monkey",
            "a cow", "a pig", "a duck", "a chicken", "a snake", "a spider", "a ladybug", "a photo of a cat",
            "a cute puppy sleeping", "a goldfish in a bowl", "a black cat on a wall", "an owl at night",
            "a tiny green frog",
        ],
        "food": [
            "an apple", "a banana", "cherries", "a pizza", "a watermelon", "a pineapple", "a carrot",
            "a doughnut", "an ice cream", "a slice of pizza", "a cheeseburger", "a bowl of noodles",
            "a cup of coffee", "a croissant", "a birthday cake", "a chocolate bar", "a lemon", "a pear",
            "an orange", "a bunch of grapes", "a tomato", "a loaf of bread", "a taco", "a hot dog", "sushi",
            "a bowl of soup", "a cupcake", "a cookie", "a peach", "a red apple", "a green apple",
            "a glass of orange juice", "fried eggs", "a plate of pasta", "popcorn", "a cherry pie", "a mango",
            "a sandwich", "a kiwi", "a bowl of strawberries",
        ],
        "vehicles": [
            "a car", "a rocket", "a bicycle", "a boat", "a bus", "an airplane", "a helicopter", "a tractor",
            "a red car", "a sports car", "a truck", "a motorcycle", "a train", "a steam locomotive",
            "a sailboat", "a submarine", "a taxi", "a fire engine", "an ambulance", "a police car", "a scooter",
            "a skateboard", "a hot air balloon", "a spaceship", "a tram", "a van", "a jet plane",
            "a cruise ship", "a canoe", "a kayak", "a race car", "a school bus", "a pickup truck",
            "a cable car", "a glider", "a speedboat", "a yacht", "a tank", "a forklift", "a tow truck",
        ],
        "nature": [
            "a tree", "the sun", "the moon", "a star", "a cactus", "a flower", "a rainbow", "a mountain",
            "a waterfall", "a river", "a forest", "an ocean wave", "a desert", "a volcano", "a snowflake",
            "a cloud", "a thunderstorm", "a lightning bolt", "a palm tree", "a pine tree", "a rose",
            "a sunflower", "a tulip", "a leaf", "a mushroom", "a beach at sunset", "a full moon",
            "a starry night sky", "a lake", "an island", "a glacier", "a meadow", "a canyon", "a rock",
            "a tornado", "a sunrise", "a blossoming cherry tree", "a field of grass", "a snowy mountain",
            "a crescent moon",
        ],
        "objects": [
            "an umbrella", "a key", "a guitar", "a house", "a light bulb", "a balloon", "a gift", "a crown",
            "an anchor", "a chair", "a table", "a lamp", "a clock", "a book", "a pencil", "a pair of scissors",
            "a hammer", "a teapot", "a cup", "a phone", "a laptop", "a camera", "a television", "a violin",
            "a piano", "a drum", "a trumpet", "a backpack", "a shoe", "a hat", "a pair of glasses", "a watch",
            "a candle", "a lock", "a bell", "a vase", "a mirror", "a kite", "a castle", "a lighthouse",
        ],
    },
}
TINY_CONFIG = dict(
    CONFIG, neighbours=3, projection=dict(CONFIG["projection"], n_neighbors=5),
    phrasing_pairs=[["a kitten", "a cat"]],
    prompts={"animals": ["a cat", "a dog", "a kitten", "a horse", "a parrot", "a fish"],
             "food": ["a banana", "a pizza", "a bowl of strawberries", "a lemon", "a cupcake", "a taco"],
             "vehicles": ["a car", "a bus", "a train", "a truck", "a sailboat", "an airplane"]},
)
USES_MODEL = True


def project(vectors: np.ndarray, extra: np.ndarray, settings: dict) -> tuple[np.ndarray, np.ndarray, str]:
    """2D points of ``vectors`` (fitted) and of ``extra`` (placed on the same map), and the method used."""
    if settings["method"] == "umap":
        try:
            import umap
        except ImportError:
            settings = dict(settings, method="pca")
        else:
            # Seeded UMAP runs single-threaded and gives the same map every time on the same machine.
            reducer = umap.UMAP(n_neighbors=settings["n_neighbors"], min_dist=settings["min_dist"],
                                metric="cosine", random_state=settings["seed"], n_jobs=1)
            fitted = reducer.fit_transform(vectors)
            return fitted, reducer.transform(extra), "umap"
    if settings["method"] != "pca":
        raise ValueError(f"projection method {settings['method']!r}: 'umap' or 'pca'")
    pca = PCA2D(vectors)
    return pca.project(vectors), pca.project(extra), "pca"


def run(out, config, model_info):
    categories = list(config["prompts"])
    texts, labels = [], []
    for c, prompts in enumerate(config["prompts"].values()):
        for p in prompts:
            if p != config["prompt"]:  # the chapter's prompt lands on the map; it does not shape it
                texts.append(p)
                labels.append(c)
    labels = np.array(labels)
    model = load_model(config["model"])
    vectors = model.encode(texts + [config["prompt"]]).pooled.float().numpy()
    vectors, prompt_vector = vectors[:-1], vectors[-1:]

    points, prompt_point, method = project(vectors, prompt_vector, config["projection"])
    centre, scale = fit_unit_box(points)
    points, prompt_point = (points - centre) / scale, (prompt_point - centre) / scale

    k = config["neighbours"]
    similarity = cosine_similarity(vectors, vectors)
    high = nearest(similarity, k)
    low = nearest(-np.linalg.norm(points[:, None] - points[None], axis=-1), k)
    agreement, chance = knn_label_agreement(high, labels), chance_agreement(labels)
    per_category = {name: float((labels[high[labels == c]] == c).mean()) for c, name in enumerate(categories)}

    to_prompt = cosine_similarity(prompt_vector, vectors)[0]
    order = np.argsort(-to_prompt, kind="stable")[:k]
    on_map = np.linalg.norm(points - prompt_point, axis=1)
    prompt_neighbour_labels = labels[order]
    home = int(np.bincount(prompt_neighbour_labels, minlength=len(categories)).argmax())

    out.array("points", points.astype(np.float32))  # [N, 2] map positions in [-1, 1]
    out.array("labels", labels.astype(np.int8))  # [N] category index (facts: map.categories)
    out.array("prompt_point", prompt_point[0].astype(np.float32))  # [2], same scale (may lie just outside)
    out.array("similarity_to_prompt", to_prompt.astype(np.float32))  # [N] cosine, in the full space
    space = (f"the text encoder's space ({model.text_encoder_name} pooled sentence vectors, "
             f"{vectors.shape[1]} numbers per prompt), not image space")
    out.fact("map", space=space, encoder=model.text_encoder_name, dimensions=int(vectors.shape[1]),
             prompts=len(texts), texts=texts, categories=categories,
             category_sizes=[int((labels == c).sum()) for c in range(len(categories))],
             method=method.upper(), requested_method=config["projection"]["method"].upper(),
             fallback=method != config["projection"]["method"], seed=config["projection"]["seed"],
             label_points=[[float(v) for v in np.median(points[labels == c], axis=0)]
                           for c in range(len(categories))])
    silhouette_score = silhouette(1.0 - similarity, labels)
    out.fact("clusters", k=k, agreement=round(agreement, 3), agreement_percent=round(100 * agreement),
             chance=round(chance, 3), chance_percent=round(100 * chance), times_chance=round(agreement / chance, 1),
             per_category={n: round(v, 3) for n, v in per_category.items()},
             tightest=max(per_category, key=per_category.get), loosest=min(per_category, key=per_category.get),
             silhouette=round(silhouette_score, 3), separated=silhouette_score > 0,
             well_above_chance=agreement > 2 * chance,
             map_keeps=round(neighbour_overlap(high, low), 3),  # share of full-space k-NN kept on the map
             map_agreement=round(knn_label_agreement(low, labels), 3))
    out.fact("prompt", text=config["prompt"], neighbours=[texts[i] for i in order],
             similarities=[round(float(to_prompt[i]), 3) for i in order],
             neighbour_categories=[categories[labels[i]] for i in order],
             category=categories[home], all_same_category=bool((prompt_neighbour_labels == home).all()),
             nearest=texts[order[0]], nearest_similarity=round(float(to_prompt[order[0]]), 3),
             # how close the nearest neighbours are on the map, as a rank among all map distances
             neighbours_on_map_rank=[int((on_map < on_map[i]).sum()) + 1 for i in order])
    index = {t: i for i, t in enumerate(texts)}
    pairs = []
    for a, b in config["phrasing_pairs"]:
        missing = [p for p in (a, b) if p not in index]
        if missing:
            raise ValueError(f"phrasing_pairs: {missing} not among the map's prompts")
        i, j = index[a], index[b]
        others = np.delete(similarity[i], i)
        rank = 1 + int((others > similarity[i, j]).sum())  # 1: b is a's nearest prompt
        pairs.append({"a": a, "b": b, "similarity": round(float(similarity[i, j]), 3), "rank": rank})
    out.fact("phrasings", pairs=pairs, nearest_count=sum(p["rank"] == 1 for p in pairs),
             within_k=sum(p["rank"] <= k for p in pairs), count=len(pairs))
