DROP TABLE meta;
DROP TABLE problems;
DROP TABLE item_assignees;
DROP TABLE item_labels;
DROP TABLE items;
DROP TABLE files;
