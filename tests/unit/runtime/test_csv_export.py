import csv
import io

from portal_runtime.csv_export import neutralise, to_csv


def test_formula_cells_are_neutralised():
    for dangerous in ("=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("Dupont") == "Dupont"
    assert neutralise(1250) == "1250"
    assert neutralise(None) == ""


def test_to_csv_round_trips_with_bom_and_semicolons():
    data = to_csv(["name", "amount"], [["Éloïse", 12], ['=HYPERLINK("x")', "a;b"]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["name", "amount"], ["Éloïse", "12"], ['\'=HYPERLINK("x")', "a;b"]]
