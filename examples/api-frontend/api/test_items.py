import unittest

from items import InvalidItem, item_event, parse_item


class ParseItemTest(unittest.TestCase):
    def test_trims_the_name(self):
        self.assertEqual(parse_item({"name": "  book "}), "book")

    def test_refuses_what_is_not_an_item(self):
        for body in (None, [], {}, {"name": ""}, {"name": 3}, {"name": "x" * 101}):
            with self.subTest(body=body), self.assertRaises(InvalidItem):
                parse_item(body)


class ItemEventTest(unittest.TestCase):
    def test_names_the_event(self):
        self.assertEqual(item_event(7, "book"), {"event": "item.created", "id": 7, "name": "book"})


if __name__ == "__main__":
    unittest.main()
