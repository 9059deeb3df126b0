"""Files in and out: reading import files into core's Sheet (spreadsheets), the .xlsx
workbooks for people (workbooks: the errors workbook, example files), and giving a big
file's memory back (memory)."""
