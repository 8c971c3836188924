"""Travel matrices: equal to networkx shortest paths, explicit order, inf policy."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from citylogistics.errors import InputError
from citylogistics.network.matrix import SparseTravelMatrix, TravelMatrix, nearest_k, od_matrices, travel_matrix


def _random_graph(seed: int, n: int = 40, directed: bool = False) -> nx.Graph:
    rng = np.random.default_rng(seed)
    base = nx.gnm_random_graph(n, 3 * n, seed=seed, directed=directed)
    G = nx.DiGraph() if directed else nx.Graph()
    G.graph["name"] = f"random{seed}"
    for i in base.nodes:
        G.add_node(f"n{i}", x=120 + rng.random(), y=30 + rng.random(), kind="junction")
    for u, v in base.edges:
        length = float(rng.integers(100, 5000))
        G.add_edge(f"n{u}", f"n{v}", length_m=length, travel_time_s=float(rng.integers(10, 600)),
                   road_class="county")
    return G


def _nx_matrix(G, origins, destinations, weight):
    out = np.full((len(origins), len(destinations)), np.inf)
    for i, o in enumerate(origins):
        dist = nx.single_source_dijkstra_path_length(G, o, weight=weight)
        for j, d in enumerate(destinations):
            out[i, j] = dist.get(d, np.inf)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weight", ["travel_time_s", "length_m"])
def test_travel_matrix_equals_networkx(seed, directed, weight):
    G = _random_graph(seed, directed=directed)
    nodes = sorted(G)
    origins, destinations = nodes[:7], nodes[3:30]
    M = travel_matrix(G, origins, destinations, weight=weight)
    assert isinstance(M, TravelMatrix)
    assert M.values.shape == (7, 27)
    assert M.origins == tuple(origins) and M.destinations == tuple(destinations)
    np.testing.assert_allclose(M.values, _nx_matrix(G, origins, destinations, weight))
    # more origins than destinations takes the reversed-graph branch: same values
    M2 = travel_matrix(G, destinations, origins, weight=weight)
    np.testing.assert_allclose(M2.values, _nx_matrix(G, destinations, origins, weight))


def test_square_default_zero_diagonal_and_loc():
    G = _random_graph(3)
    nodes = sorted(G)[:10]
    M = travel_matrix(G, nodes)
    assert M.values.shape == (10, 10)
    assert np.all(np.diag(M.values) == 0)
    assert M.loc(nodes[2], nodes[5]) == M.values[2, 5]
    np.testing.assert_allclose(M.values, M.values.T)  # undirected
    df = M.to_dataframe()
    assert list(df.index) == nodes and list(df.columns) == nodes
    with pytest.raises(InputError):
        M.loc("nope", nodes[0])
    assert not M.values.flags.writeable
    assert "TravelMatrix 10 x 10" in str(M)


def test_unreachable_is_inf():
    G = nx.Graph()
    for n, x in (("a", 0.0), ("b", 0.01), ("c", 1.0), ("d", 1.01)):
        G.add_node(n, x=x, y=0.0, kind="junction")
    G.add_edge("a", "b", length_m=1000.0, travel_time_s=60.0, road_class="village")
    G.add_edge("c", "d", length_m=1000.0, travel_time_s=60.0, road_class="village")
    M = travel_matrix(G, ["a", "c"], ["b", "d"])
    assert M.values[0, 0] == 60.0 and M.values[1, 1] == 60.0
    assert math.isinf(M.values[0, 1]) and math.isinf(M.values[1, 0])
    assert M.n_unreachable == 2
    assert M.to_dict()["values"][0][1] is None
    S = nearest_k(G, ["a", "c"], ["b", "d"], k=2)
    assert S.row("a") == [("b", 60.0)]  # unreachable omitted


def test_unknown_node_and_bad_weight_raise_input_error():
    G = _random_graph(4)
    with pytest.raises(InputError, match="nearest_nodes"):
        travel_matrix(G, ["missing"])
    u, v = next(iter(G.edges))
    G.edges[u, v]["travel_time_s"] = -1.0
    with pytest.raises(InputError, match="travel_time_s"):
        travel_matrix(G, [u])


@pytest.mark.parametrize("directed", [False, True])
def test_od_matrices_time_and_length_along_same_path(directed):
    G = _random_graph(5, n=30, directed=directed)
    nodes = sorted(G)[:12]
    T, L = od_matrices(G, nodes)
    assert T.weight == "travel_time_s" and L.weight == "length_m"
    np.testing.assert_allclose(T.values, _nx_matrix(G, nodes, nodes, "travel_time_s"))
    # the length is the length of a shortest-time path
    for i, o in enumerate(nodes):
        paths = nx.single_source_dijkstra_path(G, o, weight="travel_time_s")
        for j, d in enumerate(nodes):
            if d not in paths:
                assert math.isinf(L.values[i, j])
                continue
            p = paths[d]
            t = sum(G.edges[a, b]["travel_time_s"] for a, b in zip(p, p[1:]))
            if not np.isclose(t, T.values[i, j]):
                continue
            # any shortest-time path; check this one's length is attainable as a shortest-time path length
            lengths = {sum(G.edges[a, b]["length_m"] for a, b in zip(q, q[1:]))
                       for q in nx.all_shortest_paths(G, o, d, weight="travel_time_s")}
            assert any(np.isclose(L.values[i, j], x) for x in lengths)


def test_od_matrices_by_length():
    G = _random_graph(6, n=25)
    nodes = sorted(G)[:8]
    T, L = od_matrices(G, nodes, weight="length_m")
    np.testing.assert_allclose(L.values, _nx_matrix(G, nodes, nodes, "length_m"))
    assert np.all(T.values >= _nx_matrix(G, nodes, nodes, "travel_time_s") - 1e-9)


def _nx_nearest(G, origins, destinations, k, weight, radius=None):
    out = {}
    for o in origins:
        dist = nx.single_source_dijkstra_path_length(G, o, weight=weight)
        cand = [(dist[d], j) for j, d in enumerate(destinations) if d in dist and (radius is None or dist[d] <= radius)]
        out[o] = [(destinations[j], v) for v, j in sorted(cand)[:k]]
    return out


@pytest.mark.parametrize("n_orig,n_dest", [(30, 6), (4, 30)])
@pytest.mark.parametrize("directed", [False, True])
def test_nearest_k_equals_networkx(n_orig, n_dest, directed):
    G = _random_graph(7, n=45, directed=directed)
    nodes = sorted(G)
    origins, destinations = nodes[:n_orig], nodes[-n_dest:]
    S = nearest_k(G, origins, destinations, k=3)
    assert isinstance(S, SparseTravelMatrix)
    ref = _nx_nearest(G, origins, destinations, 3, "travel_time_s")
    for o in origins:
        got = S.row(o)
        assert [round(v, 6) for _, v in got] == [round(v, 6) for _, v in ref[o]]
        assert {d for d, _ in got} == {d for d, _ in ref[o]} or len({v for _, v in ref[o]}) < len(ref[o])


def test_nearest_k_radius_and_dataframe():
    G = _random_graph(8, n=40)
    nodes = sorted(G)
    S = nearest_k(G, nodes[:20], nodes[20:], k=None, radius=400.0)
    ref = _nx_nearest(G, nodes[:20], nodes[20:], 100, "travel_time_s", radius=400.0)
    for o in nodes[:20]:
        assert [round(v, 6) for _, v in S.row(o)] == [round(v, 6) for _, v in ref[o]]
    assert np.all(S.values <= 400.0)
    df = S.to_dataframe()
    assert len(df) == S.nnz
    assert S.to_scipy().shape == (20, 20)
    with pytest.raises(InputError):
        nearest_k(G, nodes[:2], nodes[2:], k=0)


@pytest.mark.parametrize("directed", [False, True])
def test_nearest_k1_equals_networkx_multi_source(directed):
    G = _random_graph(9, n=50, directed=directed)
    nodes = sorted(G)
    origins, destinations = nodes[:40], nodes[40:]
    S = nearest_k(G, origins, destinations, k=1)
    ref = _nx_nearest(G, origins, destinations, 1, "travel_time_s")
    for o in origins:
        assert [v for _, v in S.row(o)] == pytest.approx([v for _, v in ref[o]])
    if not directed:
        multi = nx.multi_source_dijkstra_path_length(G, set(destinations), weight="travel_time_s")
        assert [v for v in S.values] == pytest.approx([multi[o] for o in origins if o in multi])
    R = nearest_k(G, origins, destinations, k=1, radius=200.0)
    assert np.all(R.values <= 200.0)


def test_nearest_k_bounded_search_matches_full():
    # more than 64 origins: the two-phase bounded search is used
    G = _random_graph(10, n=300)
    nodes = sorted(G)
    origins, destinations = nodes[:250], nodes[250:]
    S = nearest_k(G, origins, destinations, k=4)
    ref = _nx_nearest(G, origins, destinations, 4, "travel_time_s")
    for o in origins:
        assert [v for _, v in S.row(o)] == pytest.approx([v for _, v in ref[o]])


def test_csr_network_reuse_gives_same_results():
    from citylogistics.network.matrix import CsrNetwork

    G = _random_graph(11, n=60)
    nodes = sorted(G)
    net = CsrNetwork.from_graph(G)
    np.testing.assert_array_equal(travel_matrix(net, nodes[:5], nodes[5:]).values,
                                  travel_matrix(G, nodes[:5], nodes[5:]).values)
    a, b = nearest_k(net, nodes[:50], nodes[50:], k=3), nearest_k(G, nodes[:50], nodes[50:], k=3)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.indices, b.indices)
    with pytest.raises(InputError, match="weight"):
        travel_matrix(net, nodes[:2], weight="length_m")
